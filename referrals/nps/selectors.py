"""Reads of the NPS survey: the contact cap, a customer's own answers and the numbers staff and
the shop's systems read (NPS = % promoters - % detractors)."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from customers.models import Customer, NpsCategory

from .models import NpsFollowUp, NpsInvitation, NpsResponse, SurveyContact


def survey_contact_allowed(*, customer: Customer, cap_days: int,
                           now: dt.datetime | None = None) -> bool:
    """True when no survey of any kind emailed this customer in the last `cap_days`."""
    since = (now or timezone.now()) - dt.timedelta(days=cap_days)
    return not SurveyContact.objects.filter(customer=customer, contacted_at__gt=since).exists()


def nps_response_for_invitation(*, invitation: NpsInvitation) -> NpsResponse | None:
    """The answer given to an invitation so far, if any."""
    return NpsResponse.objects.filter(invitation=invitation).first()


def nps_responses_for_customer(*, customer: Customer) -> QuerySet[NpsResponse]:
    """This customer's own answers, newest first (never anyone else's)."""
    return (NpsResponse.objects.filter(customer=customer).select_related("invitation__order")
            .order_by("-answered_at", "-id"))


def nps_score(*, promoters: int, detractors: int, total: int) -> int | None:
    """NPS, rounded to a whole number from -100 to 100; None without answers."""
    if not total:
        return None
    return round(100 * (promoters - detractors) / total)


@dataclass(frozen=True, slots=True)
class NpsCounts:
    promoters: int = 0
    passives: int = 0
    detractors: int = 0

    @property
    def total(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def nps(self) -> int | None:
        return nps_score(promoters=self.promoters, detractors=self.detractors, total=self.total)

    def share(self, part: int) -> int:
        return round(100 * part / self.total) if self.total else 0

    @property
    def promoters_pct(self) -> int:
        return self.share(self.promoters)

    @property
    def passives_pct(self) -> int:
        return self.share(self.passives)

    @property
    def detractors_pct(self) -> int:
        return self.share(self.detractors)


_COUNTS = {
    "promoters": Count("id", filter=Q(category=NpsCategory.PROMOTER)),
    "passives": Count("id", filter=Q(category=NpsCategory.PASSIVE)),
    "detractors": Count("id", filter=Q(category=NpsCategory.DETRACTOR)),
}


def _in_period(responses: QuerySet, start: dt.datetime | None, end: dt.datetime | None):
    if start is not None:
        responses = responses.filter(answered_at__gte=start)
    if end is not None:
        responses = responses.filter(answered_at__lt=end)
    return responses


def nps_counts(*, start: dt.datetime | None = None, end: dt.datetime | None = None,
               responses: QuerySet[NpsResponse] | None = None) -> NpsCounts:
    """Promoters, passives and detractors among the answers given in [start, end)."""
    responses = NpsResponse.objects.all() if responses is None else responses
    return NpsCounts(**_in_period(responses, start, end).aggregate(**_COUNTS))


def nps_summary(*, start: dt.datetime | None = None, end: dt.datetime | None = None) -> dict:
    """The period's NPS, its counts and the response rate: of the invitations created in the
    period, how many were answered (at any time since)."""
    counts = nps_counts(start=start, end=end)
    invitations = NpsInvitation.objects.all()
    if start is not None:
        invitations = invitations.filter(created_at__gte=start)
    if end is not None:
        invitations = invitations.filter(created_at__lt=end)
    sent = invitations.aggregate(
        sent=Count("id"), answered=Count("id", filter=Q(response__isnull=False)),
    )
    return {
        "nps": counts.nps,
        "responses": counts.total,
        "promoters": counts.promoters,
        "passives": counts.passives,
        "detractors": counts.detractors,
        "promoters_pct": counts.promoters_pct,
        "passives_pct": counts.passives_pct,
        "detractors_pct": counts.detractors_pct,
        "invitations": sent["sent"],
        "answered_invitations": sent["answered"],
        "response_rate": round(100 * sent["answered"] / sent["sent"]) if sent["sent"] else None,
        "open_follow_ups": NpsFollowUp.objects.exclude(
            status=NpsFollowUp.Status.RESOLVED).count(),
    }


def _month_start(moment: dt.datetime) -> dt.datetime:
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _months_back(month: dt.datetime, count: int) -> dt.datetime:
    year, index = divmod(month.year * 12 + month.month - 1 - count, 12)
    return month.replace(year=year, month=index + 1)


def nps_trend(*, months: int = 12, now: dt.datetime | None = None) -> list[dict]:
    """One row per calendar month (UTC), oldest first, for the last `months` months including
    this one: {"month": first day, "nps": int | None, "responses": n}."""
    this_month = _month_start(now or timezone.now())
    first = _months_back(this_month, months - 1)
    rows = (NpsResponse.objects.filter(answered_at__gte=first)
            .annotate(month=TruncMonth("answered_at")).values("month")
            .annotate(**_COUNTS).order_by("month"))
    by_month = {row["month"].date(): NpsCounts(row["promoters"], row["passives"],
                                               row["detractors"]) for row in rows}
    trend = []
    for offset in range(months - 1, -1, -1):
        month = _months_back(this_month, offset).date()
        counts = by_month.get(month, NpsCounts())
        trend.append({"month": month, "nps": counts.nps, "responses": counts.total})
    return trend


def nps_by_tier(*, start: dt.datetime | None = None, end: dt.datetime | None = None
                ) -> list[dict]:
    """NPS per loyalty tier (the tier the customer held when answering), biggest first."""
    rows = (_in_period(NpsResponse.objects.all(), start, end).values("tier")
            .annotate(**_COUNTS).order_by("tier"))
    result = []
    for row in rows:
        counts = NpsCounts(row["promoters"], row["passives"], row["detractors"])
        result.append({"tier": row["tier"], "counts": counts})
    return sorted(result, key=lambda r: (-r["counts"].total, r["tier"]))


# Segments hook: the segments branch adds segment fields to Customer. When they land, report NPS
# per segment here the same way as nps_by_tier, grouping on "customer__<segment field>".
# The profile's segment fields NPS is broken down by (customers' CustomerScore), with labels.
SEGMENT_FIELDS: dict[str, Promise] = {
    "score__stage": gettext_lazy("Lifecycle stage"),
    "score__rfm_segment": gettext_lazy("RFM segment"),
}


def nps_by_segment(*, field: str, start: dt.datetime | None = None,
                   end: dt.datetime | None = None) -> list[dict]:
    """NPS per value of a customer segment field (one of SEGMENT_FIELDS)."""
    if field not in SEGMENT_FIELDS:
        return []
    rows = (_in_period(NpsResponse.objects.all(), start, end).values(f"customer__{field}")
            .annotate(**_COUNTS).order_by(f"customer__{field}"))
    return [{"segment": row[f"customer__{field}"],
             "counts": NpsCounts(row["promoters"], row["passives"], row["detractors"])}
            for row in rows]


def _iso(value):
    return value.isoformat() if value else None


def nps_export(*, customer: Customer) -> dict:
    """The customer's survey answers and the follow-ups staff opened on them, for a
    data-access request."""
    follow_ups = NpsFollowUp.objects.filter(customer=customer).order_by("created_at", "id")
    return {
        "nps_answers": [
            {"order": r.invitation.order.name or r.invitation.order.external_id,
             "score": r.score, "comment": r.comment, "answered_at": _iso(r.answered_at)}
            for r in nps_responses_for_customer(customer=customer).order_by("answered_at", "id")
        ],
        "nps_follow_ups": [
            {"status": f.status, "notes": f.notes, "goodwill_points": f.goodwill_points,
             "opened_at": _iso(f.created_at), "resolved_at": _iso(f.resolved_at)}
            for f in follow_ups
        ],
        "nps_invitations": [
            {"order": i.order.name or i.order.external_id, "sent_at": _iso(i.sent_at)}
            for i in NpsInvitation.objects.filter(customer=customer).select_related("order")
            .order_by("created_at", "id")
        ],
    }
