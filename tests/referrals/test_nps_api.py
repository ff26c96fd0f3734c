"""The NPS API: headless storefronts answer with the link's token; the shop's systems read the
summary with their API key."""

import datetime as dt
import json

import pytest
import time_machine

from customers.models import Activity
from referrals.nps.models import COMMENT_MAX_LENGTH, NpsResponse
from tests.conftest import at
from tests.factories import CustomerFactory, NpsInvitationFactory, NpsResponseFactory

from .nps_support import token_of

pytestmark = pytest.mark.django_db

URL = "/api/v1/nps/responses/"


def answer(client, **body):
    return client.post(URL, data=json.dumps(body), content_type="application/json")


def error_code(response) -> str:
    return response.json()["error"]["code"]


def test_a_storefront_answers_with_the_links_token_in_one_call(anon_api):
    invitation = NpsInvitationFactory()

    sent = answer(anon_api, token=token_of(invitation, 10), comment="Lovely packaging")

    assert sent.status_code == 201
    body = sent.json()
    assert (body["score"], body["category"], body["comment"]) == (10, "promoter",
                                                                   "Lovely packaging")
    assert body["follow_up_question"]
    assert NpsResponse.objects.get().channel == "api"
    invitation.customer.refresh_from_db()
    assert invitation.customer.nps_score == 10


def test_score_first_then_comment_in_a_second_call(anon_api):
    invitation = NpsInvitationFactory()
    token = token_of(invitation)

    first = answer(anon_api, token=token, score=7)
    replay = answer(anon_api, token=token, score=7)
    comment = answer(anon_api, token=token, score=7, comment="More sizes")
    again = answer(anon_api, token=token, score=7, comment="Even more sizes")

    assert (first.status_code, replay.status_code, comment.status_code) == (201, 200, 200)
    assert again.status_code == 409 and error_code(again) == "already_answered"
    assert NpsResponse.objects.get().comment == "More sizes"
    assert Activity.objects.filter(kind="nps_answered").count() == 1


def test_a_different_score_for_an_answered_survey_is_refused(anon_api):
    invitation = NpsInvitationFactory()
    answer(anon_api, token=token_of(invitation), score=9)
    second = answer(anon_api, token=token_of(invitation), score=1)
    assert second.status_code == 409 and error_code(second) == "already_answered"
    assert NpsResponse.objects.get().score == 9


@pytest.mark.parametrize("score", [11, -1, 100, "7", 7.5, True, None])
def test_scores_outside_0_to_10_get_a_clear_error_and_record_nothing(anon_api, score):
    sent = answer(anon_api, token=token_of(NpsInvitationFactory()), score=score)
    assert sent.status_code == 400
    assert error_code(sent) == "invalid_score"
    assert "score" in sent.json()["error"]["fields"]
    assert not NpsResponse.objects.exists()


def test_a_score_that_disagrees_with_the_link_is_refused(anon_api):
    sent = answer(anon_api, token=token_of(NpsInvitationFactory(), 9), score=3)
    assert sent.status_code == 400 and error_code(sent) == "score_mismatch"
    assert not NpsResponse.objects.exists()


def test_an_over_long_comment_gets_a_clear_error_and_records_nothing(anon_api):
    sent = answer(anon_api, token=token_of(NpsInvitationFactory(), 4),
                  comment="x" * (COMMENT_MAX_LENGTH + 1))
    assert sent.status_code == 400 and error_code(sent) == "comment_too_long"
    assert "comment" in sent.json()["error"]["fields"]
    assert not NpsResponse.objects.exists()


def test_forged_and_expired_tokens_are_refused(anon_api):
    invitation = NpsInvitationFactory()
    forged = answer(anon_api, token=token_of(invitation, 10)[:-3] + "abc")
    missing = answer(anon_api, score=10)
    with time_machine.travel(invitation.expires_at + dt.timedelta(seconds=1)):
        expired = answer(anon_api, token=token_of(invitation, 10))

    assert forged.status_code == 404 and error_code(forged) == "invalid_token"
    assert missing.status_code == 400 and "token" in missing.json()["error"]["fields"]
    assert expired.status_code == 410 and error_code(expired) == "token_expired"
    assert not NpsResponse.objects.exists()


def test_the_answer_api_never_shows_another_customers_answer(anon_api):
    ada = NpsResponseFactory(score=10, comment="Ada's secret praise")
    bob_invitation = NpsInvitationFactory(customer=CustomerFactory())
    sent = answer(anon_api, token=token_of(bob_invitation, 2), comment="Bob here")
    assert "Ada" not in sent.content.decode()
    # Ada's token with Bob's invitation id is a forgery, not a way in.
    hybrid = token_of(type(bob_invitation)(pk=ada.invitation.pk, nonce=bob_invitation.nonce))
    refused = answer(anon_api, token=hybrid, score=1)
    assert refused.status_code == 404
    assert NpsResponse.objects.get(pk=ada.pk).score == 10


NOW = at("2026-06-20T12:00:00Z")


def responses(scores, *, when=NOW, tier=""):
    for score in scores:
        NpsResponseFactory(score=score, answered_at=when, tier=tier,
                           invitation=NpsInvitationFactory(created_at=when))


@time_machine.travel(NOW, tick=False)
def test_the_summary_gives_nps_counts_and_response_rate_for_a_period(api):
    responses([10, 10, 9, 8, 3], tier="Gold")            # 3 promoters, 1 detractor of 5
    NpsInvitationFactory(created_at=NOW)                    # not answered
    responses([0, 0], when=NOW - dt.timedelta(days=200))   # outside the default 90 days

    body = api.get("/api/v1/nps/summary/").json()

    assert body["nps"] == 40            # 60% promoters - 20% detractors
    assert (body["promoters"], body["passives"], body["detractors"]) == (3, 1, 1)
    assert body["responses"] == 5
    assert (body["invitations"], body["response_rate"]) == (6, 83)
    assert body["by_tier"] == [{"tier": "Gold", "nps": 40, "responses": 5}]
    assert body["period"] == {"from": "2026-03-23", "to": "2026-06-20"}

    old = api.get("/api/v1/nps/summary/", {"from": "2025-01-01", "to": "2026-01-01"}).json()
    assert (old["nps"], old["detractors"]) == (-100, 2)
    empty = api.get("/api/v1/nps/summary/", {"from": "2020-01-01", "to": "2020-01-31"}).json()
    assert empty["nps"] is None and empty["response_rate"] is None


def test_the_summary_needs_an_api_key_and_valid_dates(api, anon_api):
    assert anon_api.get("/api/v1/nps/summary/").status_code in (401, 403)
    bad = api.get("/api/v1/nps/summary/", {"from": "June"})
    backwards = api.get("/api/v1/nps/summary/", {"from": "2026-02-01", "to": "2026-01-01"})
    assert bad.status_code == backwards.status_code == 400
    assert "from" in bad.json()["error"]["fields"]
