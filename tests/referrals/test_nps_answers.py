"""A customer clicks a score in their survey email, answers the follow-up, and the loop closes:
profile, timeline, points, and a follow-up case for detractors. Abuse records nothing twice."""

import datetime as dt

import pytest
import time_machine
from django.core import signing

from customers.models import Activity, NpsCategory
from loyalty.selectors import balance_get
from referrals.nps.models import COMMENT_MAX_LENGTH, NpsFollowUp, NpsResponse, NpsSurvey
from referrals.nps.tokens import SALT, token_make
from tests.conftest import at_once
from tests.factories import (
    ActivityRuleFactory,
    CustomerFactory,
    NpsFollowUpFactory,
    NpsInvitationFactory,
    NpsResponseFactory,
    UserFactory,
)

from .nps_support import BROWSER, nps_link

pytestmark = pytest.mark.django_db


@pytest.fixture
def shopper(client):
    """A browser with a person behind it (the link checks for scanners)."""
    client.defaults["HTTP_USER_AGENT"] = BROWSER
    return client


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_the_first_click_records_the_score_and_asks_the_categorys_question(shopper):
    invitation = NpsInvitationFactory()
    customer = invitation.customer

    page = shopper.get(nps_link(invitation, 9))

    assert page.status_code == 200
    survey = NpsSurvey.get()
    assert survey.promoter_question in page.content.decode()
    response = NpsResponse.objects.get()
    assert (response.score, response.category, response.customer) == (9, "promoter", customer)
    customer.refresh_from_db()
    assert (customer.nps_score, customer.nps_category) == (9, NpsCategory.PROMOTER)
    activity = Activity.objects.get(customer=customer, kind=Activity.Kind.NPS_ANSWERED)
    assert activity.data == {"score": 9, "category": "promoter"}
    assert activity.key == f"nps:invitation:{invitation.pk}:answered"


@pytest.mark.parametrize(("score", "question_field"), [
    (7, "passive_question"), (8, "passive_question"), (0, "detractor_question"),
    (6, "detractor_question"), (10, "promoter_question"),
])
def test_each_category_gets_its_own_follow_up_question(shopper, score, question_field):
    survey = NpsSurvey.get()
    setattr(survey, question_field, f"Custom question for {score}?")
    survey.save()
    page = shopper.get(nps_link(NpsInvitationFactory(), score))
    assert f"Custom question for {score}?" in page.content.decode()


def test_the_follow_up_comment_is_saved_and_the_link_then_says_already_answered(shopper):
    invitation = NpsInvitationFactory()
    link = nps_link(invitation, 8)
    shopper.get(link)

    sent = shopper.post(link, {"comment": "Faster delivery please"}, follow=True)

    assert sent.status_code == 200
    assert "Thank you for your answer" in sent.content.decode()
    response = NpsResponse.objects.get()
    assert response.comment == "Faster delivery please" and response.commented_at

    again = shopper.get(link)
    assert "already answered" in again.content.decode()
    posted_again = shopper.post(link, {"comment": "Changed my mind"})
    assert "already answered" in posted_again.content.decode()
    response.refresh_from_db()
    assert response.comment == "Faster delivery please"


def test_a_reused_link_or_another_score_records_nothing_twice(shopper):
    rule = ActivityRuleFactory(activity_kind="nps_answered", points=25, name="Survey answered")
    invitation = NpsInvitationFactory()
    customer = invitation.customer

    first = shopper.get(nps_link(invitation, 10))
    page = shopper.get(nps_link(invitation, 2))
    shopper.get(nps_link(invitation, 10))

    assert "You earned 25 points for answering" in first.content.decode()
    assert "kept your first answer" in page.content.decode()
    assert NpsResponse.objects.get().score == 10
    assert not NpsFollowUp.objects.exists()
    assert Activity.objects.filter(customer=customer, kind="nps_answered").count() == 1
    assert balance_get(customer=customer)["balance"] == rule.points
    customer.refresh_from_db()
    assert customer.nps_score == 10


def test_an_expired_link_gets_a_clear_page_and_records_nothing(shopper):
    invitation = NpsInvitationFactory()
    with time_machine.travel(invitation.expires_at + dt.timedelta(minutes=1)):
        page = shopper.get(nps_link(invitation, 10))
        posted = shopper.post(nps_link(invitation, 10), {"comment": "hi"})

    assert page.status_code == 410 and posted.status_code == 410
    assert "This survey has closed" in page.content.decode()
    assert not NpsResponse.objects.exists()


def test_forged_links_get_a_clear_page_and_record_nothing(shopper):
    invitation = NpsInvitationFactory()
    real = nps_link(invitation, 10)
    payload, timestamp, signature = real.split("/")[2].split(":")
    forged = [
        f"/nps/{payload}:{timestamp}:{signature[:-2]}xx/",          # altered signature
        "/nps/not-a-token/",                                          # made up
        nps_link(type(invitation)(pk=invitation.pk, nonce="guessed"), 10),  # wrong nonce
        "/nps/" + signing.dumps({"i": invitation.pk, "n": invitation.nonce, "s": 10},
                                salt="another.salt") + "/",           # signed for another use
        "/nps/" + token_make(invitation_id=invitation.pk + 999, nonce=invitation.nonce,
                             score=10) + "/",                         # no such invitation
        "/nps/" + signing.dumps({"i": invitation.pk, "n": invitation.nonce, "s": 11},
                                salt=SALT) + "/",                     # a score out of range
    ]
    for link in forged:
        page = shopper.get(link)
        assert page.status_code == 404, link
        assert "This link doesn't work" in page.content.decode()
        assert shopper.post(link, {"score": 10}).status_code == 404
    assert not NpsResponse.objects.exists()


@pytest.mark.parametrize("headers", [
    {"HTTP_USER_AGENT": "Mozilla/5.0 (compatible; Barracuda Sentinel link scanner)"},
    {"HTTP_USER_AGENT": "python-requests/2.31"},
    {"HTTP_USER_AGENT": ""},
    {"HTTP_USER_AGENT": BROWSER, "HTTP_SEC_PURPOSE": "prefetch"},
    {"HTTP_USER_AGENT": BROWSER, "HTTP_PURPOSE": "prefetch"},
])
def test_a_mail_scanner_opening_every_link_answers_nothing(client, headers):
    invitation = NpsInvitationFactory()
    for score in range(11):
        page = client.get(nps_link(invitation, score), **headers)
        assert page.status_code == 200
        assert "Press the button to send it" in page.content.decode()
    assert client.head(nps_link(invitation, 3), HTTP_USER_AGENT=BROWSER).status_code == 200
    assert not NpsResponse.objects.exists()

    client.post(nps_link(invitation, 4), {"score": 4, "comment": ""})
    assert NpsResponse.objects.get().score == 4


def test_the_score_page_without_a_score_asks_for_one(shopper):
    invitation = NpsInvitationFactory()
    link = nps_link(invitation)
    page = shopper.get(link)
    assert 'type="radio"' in page.content.decode()

    missing = shopper.post(link, {"comment": "no score"})
    out_of_range = shopper.post(link, {"score": 11})
    assert missing.status_code == out_of_range.status_code == 400
    assert "Select a valid choice" in out_of_range.content.decode()
    assert not NpsResponse.objects.exists()

    shopper.post(link, {"score": 6, "comment": "Late parcel"})
    response = NpsResponse.objects.get()
    assert (response.score, response.comment) == (6, "Late parcel")


def test_an_over_long_comment_gets_a_clear_error_and_is_not_saved(shopper):
    invitation = NpsInvitationFactory()
    link = nps_link(invitation, 5)
    shopper.get(link)

    page = shopper.post(link, {"comment": "x" * (COMMENT_MAX_LENGTH + 1)})

    assert page.status_code == 400
    assert f"at most {COMMENT_MAX_LENGTH} characters" in page.content.decode()
    response = NpsResponse.objects.get()
    assert response.comment == "" and response.commented_at is None


def test_a_detractor_opens_a_follow_up_case_and_alerts_staff(shopper, settings, mailoutbox,
                                                            commit):
    settings.STAFF_ALERT_EMAIL = "care@shop.example"
    invitation = NpsInvitationFactory()

    with commit():
        shopper.get(nps_link(invitation, 3))

    case = NpsFollowUp.objects.get()
    assert case.status == NpsFollowUp.Status.OPEN and case.customer == invitation.customer
    assert [m.to for m in mailoutbox] == [["care@shop.example"]]
    assert invitation.customer.email in mailoutbox[0].subject
    assert f"/admin/referrals/npsfollowup/{case.pk}/change/" in mailoutbox[0].body

    with commit():
        shopper.get(nps_link(invitation, 3))
    assert NpsFollowUp.objects.count() == 1 and len(mailoutbox) == 1


def test_no_alert_without_a_staff_address(shopper, settings, mailoutbox, commit):
    settings.STAFF_ALERT_EMAIL = ""
    with commit():
        shopper.get(nps_link(NpsInvitationFactory(), 0))
    assert NpsFollowUp.objects.count() == 1
    assert mailoutbox == []


def test_promoters_and_passives_open_no_case(shopper):
    shopper.get(nps_link(NpsInvitationFactory(), 7))
    shopper.get(nps_link(NpsInvitationFactory(), 9))
    assert not NpsFollowUp.objects.exists()


def test_the_answer_is_scored_on_the_tier_held_at_the_time(shopper):
    invitation = NpsInvitationFactory(customer=CustomerFactory(loyalty_tier="Gold"))
    shopper.get(nps_link(invitation, 10))
    assert NpsResponse.objects.get().tier == "Gold"


def test_a_customer_sees_their_own_answers_and_never_anothers(client):
    ada = CustomerFactory(user=UserFactory(email="ada@example.com"))
    bob = CustomerFactory(user=UserFactory(email="bob@example.com"))
    NpsResponseFactory(invitation=NpsInvitationFactory(customer=ada), score=10,
                       comment="Ada loves the serum")
    NpsResponseFactory(invitation=NpsInvitationFactory(customer=bob), score=2,
                       comment="Bob's parcel was late")

    client.force_login(ada.user)
    account = client.get("/account/").content.decode()
    assert "Your feedback" in account and "Ada loves the serum" in account
    assert "Bob&#x27;s parcel was late" not in account and "Bob's parcel" not in account

    mine = client.get("/api/v1/me/nps/responses/").json()
    assert [r["comment"] for r in mine["results"]] == ["Ada loves the serum"]

    client.logout()
    assert client.get("/api/v1/me/nps/responses/").status_code == 403


def test_a_promoter_is_thanked_with_their_referral_link(shopper):
    invitation = NpsInvitationFactory()
    link = nps_link(invitation, 10)
    shopper.get(link)
    page = shopper.post(link, {"comment": "Best serum ever"}, follow=True).content.decode()

    code = invitation.customer.referral_code_row.code
    assert "Share the love" in page
    assert f"/r/{code}" in page and "wa.me" in page


def test_passives_and_detractors_see_no_referral_link(shopper):
    for score in (8, 4):
        invitation = NpsInvitationFactory()
        link = nps_link(invitation, score)
        shopper.get(link)
        page = shopper.post(link, {"comment": ""}, follow=True).content.decode()
        assert "Thank you for your answer" in page and "/r/" not in page


def test_erasing_a_customer_forgets_their_comments_but_keeps_the_scores():
    from customers.services import customer_erase

    case = NpsFollowUpFactory(response__comment="My address is 1 Main St", notes="Called her")
    customer_erase(customer=case.customer)
    case.refresh_from_db()
    case.response.refresh_from_db()
    assert (case.response.comment, case.notes, case.response.score) == ("", "", 3)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_clicks_at_once_record_one_answer():
    from referrals.nps.services import nps_answer_record

    invitation = NpsInvitationFactory()
    results = at_once(6, lambda i: nps_answer_record(invitation=invitation, score=2 + i % 2))

    assert not [r for r in results if isinstance(r, Exception)]
    assert sum(created for _response, created in results) == 1
    assert NpsResponse.objects.count() == 1 and NpsFollowUp.objects.count() == 1
    assert Activity.objects.filter(kind="nps_answered").count() == 1
