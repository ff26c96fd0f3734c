"""Staff close the loop in admin: the detractor queue (contacted, resolved, goodwill points),
the survey settings and the NPS report with its trend chart."""

import datetime as dt

import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from kernel.errors import FlywheelError
from loyalty.models import PointsEntry
from loyalty.selectors import balance_get
from referrals.nps.models import NpsFollowUp, NpsSurvey
from referrals.nps.selectors import nps_trend
from referrals.nps.services import nps_follow_up_goodwill_grant, nps_follow_up_update
from tests.conftest import at
from tests.factories import NpsFollowUpFactory, NpsInvitationFactory, NpsResponseFactory

pytestmark = pytest.mark.django_db

QUEUE = "/admin/referrals/npsfollowup/"
NOW = at("2026-06-20T12:00:00Z")


def test_goodwill_points_go_through_the_ledger_once_per_case(admin_user):
    case = NpsFollowUpFactory()

    nps_follow_up_goodwill_grant(follow_up=case, points=200, by=admin_user,
                                 reason="Sorry about the late parcel")
    with pytest.raises(FlywheelError) as again:
        nps_follow_up_goodwill_grant(follow_up=case, points=200, by=admin_user)

    assert again.value.code == "goodwill_already_given"
    assert balance_get(customer=case.customer)["balance"] == 200
    entry = PointsEntry.objects.get()
    assert (entry.kind, entry.staff, entry.reason) == ("adjust", admin_user,
                                                      "Sorry about the late parcel")
    case.refresh_from_db()
    assert case.goodwill_points == 200 and case.assigned_to == admin_user


def test_goodwill_needs_staff_and_a_positive_amount(admin_user, django_user_model):
    case = NpsFollowUpFactory()
    shopper = django_user_model.objects.create_user(email="shopper@example.com")
    for points, by in ((0, admin_user), (-5, admin_user), (50, shopper)):
        with pytest.raises(FlywheelError):
            nps_follow_up_goodwill_grant(follow_up=case, points=points, by=by)
    case.refresh_from_db()
    assert case.goodwill_points == 0
    assert balance_get(customer=case.customer)["balance"] == 0


def test_a_case_moves_from_open_to_contacted_to_resolved_with_its_times(admin_user):
    case = NpsFollowUpFactory()
    with time_machine.travel(NOW, tick=False):
        case = nps_follow_up_update(follow_up=case, by=admin_user, status="contacted",
                                    notes="Called, parcel was lost")
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        case = nps_follow_up_update(follow_up=case, by=admin_user, status="resolved")
    assert (case.contacted_at, case.resolved_at) == (NOW, NOW + dt.timedelta(days=1))
    assert case.notes == "Called, parcel was lost" and case.assigned_to == admin_user


def test_the_queue_lists_open_cases_and_resolves_them_after_confirmation(admin_client):
    cases = [NpsFollowUpFactory(response__comment=f"Problem {i}") for i in range(2)]
    listing = admin_client.get(QUEUE, {"status__exact": "open"}).content.decode()
    assert "Problem 0" in listing and "Problem 1" in listing

    data = {"action": "mark_resolved", ACTION_CHECKBOX_NAME: [c.pk for c in cases]}
    confirm = admin_client.post(QUEUE, data)
    assert "Resolve cases?" in confirm.content.decode()
    assert NpsFollowUp.objects.filter(status="open").count() == 2

    admin_client.post(QUEUE, {**data, "post": "yes"})
    assert NpsFollowUp.objects.filter(status="resolved").count() == 2


def test_staff_give_goodwill_points_from_the_queue(admin_client):
    case = NpsFollowUpFactory()
    data = {"action": "give_goodwill_points", ACTION_CHECKBOX_NAME: [case.pk]}
    form = admin_client.post(QUEUE, data)
    assert "Give goodwill points" in form.content.decode()

    admin_client.post(QUEUE, {**data, "apply": "yes", "points": 150, "reason": "Sorry!"})
    admin_client.post(QUEUE, {**data, "apply": "yes", "points": 150, "reason": "Twice?"})
    assert balance_get(customer=case.customer)["balance"] == 150


def test_a_case_page_shows_the_answer_and_saves_notes_and_status(admin_client):
    case = NpsFollowUpFactory(response__comment="Broken pump bottle")
    url = f"{QUEUE}{case.pk}/change/"
    assert "Broken pump bottle" in admin_client.get(url).content.decode()
    admin_client.post(url, {"status": "contacted", "notes": "Sent a replacement"})
    case.refresh_from_db()
    assert (case.status, case.notes) == ("contacted", "Sent a replacement")
    assert case.contacted_at is not None


def test_the_settings_are_one_row_edited_in_place(admin_client):
    listing = admin_client.get("/admin/referrals/npssurvey/")
    assert listing.status_code == 302
    assert listing.url.endswith(f"/admin/referrals/npssurvey/{NpsSurvey.get().pk}/change/")
    page = admin_client.get(listing.url).content.decode()
    assert "contact a customer at most once per (days)" in page.lower()


@time_machine.travel(NOW, tick=False)
def test_the_monthly_trend_has_a_point_per_month_and_gaps_where_nobody_answered():
    for score, months_ago in ((10, 0), (0, 0), (9, 2), (10, 2), (3, 11), (2, 12)):
        NpsResponseFactory(score=score, answered_at=NOW - dt.timedelta(days=30 * months_ago))

    trend = nps_trend(months=12)

    assert len(trend) == 12
    assert trend[0]["month"] == dt.date(2025, 7, 1) and trend[-1]["month"] == dt.date(2026, 6, 1)
    by_month = {row["month"]: (row["nps"], row["responses"]) for row in trend}
    assert by_month[dt.date(2026, 6, 1)] == (0, 2)
    assert by_month[dt.date(2026, 4, 1)] == (100, 2)
    assert by_month[dt.date(2025, 7, 1)] == (-100, 1)
    assert by_month[dt.date(2026, 5, 1)] == (None, 0)


@time_machine.travel(NOW, tick=False)
def test_the_report_shows_nps_the_trend_chart_tiers_and_comments(admin_client):
    for score, tier in ((10, "Gold"), (9, "Gold"), (2, "Silver")):
        NpsResponseFactory(score=score, tier=tier, comment=f"{tier} says {score}",
                           answered_at=NOW - dt.timedelta(days=3))
    NpsInvitationFactory()

    page = admin_client.get("/admin/referrals/npsresponse/report/").content.decode()

    assert "NPS report" in page and "<svg" in page and "<polyline" in page
    assert "33" in page  # (2 promoters - 1 detractor) of 3
    assert "75%" in page  # 3 of 4 invitations answered
    assert "Gold" in page and "Silver" in page
    assert "Silver says 2" in page

    detractors = admin_client.get("/admin/referrals/npsresponse/report/",
                                  {"category": "detractor"}).content.decode()
    assert "Silver says 2" in detractors and "Gold says 10" not in detractors
    empty = admin_client.get("/admin/referrals/npsresponse/report/",
                             {"start": "2020-01-01", "end": "2020-01-31"}).content.decode()
    assert "No answers in this period" in empty
    backwards = admin_client.get("/admin/referrals/npsresponse/report/",
                                 {"start": "2026-02-01", "end": "2026-01-01"})
    assert "The period starts after it ends" in backwards.content.decode()


def test_answers_list_filters_comments(admin_client):
    NpsResponseFactory(score=10, comment="Love it")
    NpsResponseFactory(score=8, comment="")
    listing = admin_client.get("/admin/referrals/npsresponse/", {"has_comment": "yes"})
    body = listing.content.decode()
    assert "Love it" in body and "NPS report" in body
    assert "1 NPS answer" in body


def test_a_headless_answer_page_needs_the_token_placeholder(admin_client):
    url = f"/admin/referrals/npssurvey/{NpsSurvey.get().pk}/change/"
    form = admin_client.get(url).context["adminform"].form
    data = {**form.initial, "answer_page_url": "https://shop.example/nps"}
    data = {k: v for k, v in data.items() if v is not None and k != "id"}
    page = admin_client.post(url, data)
    assert "Put {token} where the link" in page.content.decode()

    admin_client.post(url, {**data, "answer_page_url": "https://shop.example/nps?t={token}"})
    assert NpsSurvey.get().answer_page_url == "https://shop.example/nps?t={token}"


def test_nps_is_broken_down_by_lifecycle_stage():
    from customers.models import CustomerScore
    from referrals.nps.selectors import nps_by_segment

    now = NOW
    for score, stage in ((10, "loyal"), (9, "loyal"), (3, "at_risk")):
        response = NpsResponseFactory(score=score)
        CustomerScore.objects.create(customer=response.customer, stage=stage, stage_since=now,
                                     as_of=now)

    rows = {row["segment"]: row["counts"] for row in nps_by_segment(field="score__stage")}

    assert rows["loyal"].nps == 100 and rows["loyal"].total == 2
    assert rows["at_risk"].nps == -100
