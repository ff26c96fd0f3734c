"""Reads of refer-a-friend: a customer's share links, their referrals and the program's numbers."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.urls import reverse
from django.utils.translation import gettext as _

from customers.models import Customer
from kernel.emails import email_normalise
from kernel.links import absolute_url

from ..models import Referral, ReferralClick, ReferralCode, ReferralProgram
from ..models.referrals import CODE_MAX_LENGTH, code_normalize

Status = Referral.Status
# Statuses that counted as a sign-up (everything but blocked).
SIGNED_UP = tuple(s for s in Status.values if s != Status.BLOCKED)


@dataclass(frozen=True)
class ReferralShare:
    """What a customer needs to share: their code, the absolute link `/r/<code>`, plain share
    URLs (no third-party scripts) and the path of their share card image."""

    code: str
    url: str
    offer: str
    message: str
    email_url: str
    whatsapp_url: str
    x_url: str
    facebook_url: str
    card_url: str


def referral_share_get(*, customer: Customer) -> ReferralShare:
    """The customer's share links. Their referral code is made here on first need (the one
    write a read may do: `referral_code_get_or_create` is idempotent)."""
    from ..services import referral_code_get_or_create

    code = referral_code_get_or_create(customer=customer).code
    url = absolute_url("referral_landing", code)
    program = ReferralProgram.get()
    offer = program.friend_reward.name if program.friend_reward is not None else ""
    if offer:
        message = _("Get %(offer)s at %(shop)s with my code %(code)s:") % {
            "offer": offer, "shop": settings.SITE_NAME, "code": code}
    else:
        message = _("Join me at %(shop)s with my code %(code)s:") % {
            "shop": settings.SITE_NAME, "code": code}
    subject = _("A gift for you from %(shop)s") % {"shop": settings.SITE_NAME}
    return ReferralShare(
        code=code, url=url, offer=offer, message=message,
        email_url="mailto:?" + urlencode({"subject": subject, "body": f"{message} {url}"},
                                         quote_via=quote),
        whatsapp_url="https://wa.me/?" + urlencode({"text": f"{message} {url}"}, quote_via=quote),
        x_url="https://x.com/intent/post?" + urlencode({"text": message, "url": url},
                                                       quote_via=quote),
        facebook_url="https://www.facebook.com/sharer/sharer.php?" + urlencode(
            {"u": url}, quote_via=quote),
        card_url=reverse("referral_share_card"),
    )


def referral_signed_up(*, code: ReferralCode, email: str) -> bool:
    """Whether this email already signed up with this share link."""
    return Referral.objects.filter(code=code, friend_email=email_normalise(email)).exists()


def referral_list_for_customer(*, customer: Customer) -> QuerySet[Referral]:
    """The referrals this customer made, newest first."""
    return (Referral.objects.filter(referrer=customer).select_related("code")
            .order_by("-created_at", "-id"))


def referral_friend_label(referral: Referral) -> str:
    """The friend as a referrer may see them: first name or a masked email, never the address."""
    if referral.friend and referral.friend.first_name:
        return referral.friend.first_name
    local, _at, domain = referral.friend_email.partition("@")
    return f"{local[:1]}•••@{domain}"


def _sums(referrals: QuerySet[Referral]) -> dict:
    return referrals.aggregate(
        signups=Count("pk", filter=Q(status__in=SIGNED_UP)),
        conversions=Count("pk", filter=Q(status__in=Referral.CONVERTED)),
        rewarded=Count("pk", filter=Q(status=Status.REWARDED)),
        flagged=Count("pk", filter=Q(status=Status.FLAGGED)),
        blocked=Count("pk", filter=Q(status=Status.BLOCKED)),
        revenue=Sum("order_total", filter=Q(status__in=Referral.CONVERTED)),
        points=Sum("reward_points", filter=Q(status=Status.REWARDED)),
        vouchers=Count("reward_voucher", filter=Q(status=Status.REWARDED)),
    )


def referrer_stats(*, customer: Customer) -> dict:
    """One referrer's numbers: clicks on their link, sign-ups, conversions, referred revenue and
    the rewards they got (points and vouchers)."""
    sums = _sums(Referral.objects.filter(referrer=customer))
    clicks = (ReferralClick.objects.filter(code__customer=customer)
              .aggregate(total=Sum("count"))["total"] or 0)
    return {
        "clicks": clicks, "signups": sums["signups"], "conversions": sums["conversions"],
        "rewarded": sums["rewarded"], "revenue": sums["revenue"] or Decimal("0"),
        "reward_points": sums["points"] or 0, "reward_vouchers": sums["vouchers"],
    }


def _reward_cost(referrals: QuerySet[Referral], points: int) -> Decimal:
    """Points given at the loyalty program's point value, plus the referrer vouchers' fixed
    amounts, plus the friends' welcome discounts on converted orders."""
    from loyalty.models import LoyaltyProgram

    cost = Decimal(points) * LoyaltyProgram.get().point_value
    rewarded = referrals.filter(status=Status.REWARDED, reward_voucher__isnull=False)
    cost += sum(((r.reward_voucher.reward.amount or Decimal("0"))
                 for r in rewarded.select_related("reward_voucher__reward")
                 if r.reward_voucher is not None), Decimal("0"))
    converted = referrals.filter(status__in=Referral.CONVERTED, voucher__isnull=False,
                                 voucher__status="used")
    for referral in converted.select_related("voucher__reward"):
        if referral.voucher is None:
            continue
        reward = referral.voucher.reward
        if reward.amount:
            cost += reward.amount
        elif reward.percent:
            cost += referral.order_total * reward.percent / 100
    return cost.quantize(Decimal("0.01"))


def program_stats(*, since: dt.datetime | None = None) -> dict:
    """The program's numbers (since a time, or all time): clicks, sign-ups, conversions, the
    conversion rate (conversions per sign-up, %), referred revenue and the reward cost."""
    referrals = Referral.objects.all()
    clicks = ReferralClick.objects.all()
    if since:
        referrals = referrals.filter(created_at__gte=since)
        clicks = clicks.filter(day__gte=since.date())
    sums = _sums(referrals)
    points = sums["points"] or 0
    signups = sums["signups"]
    return {
        "clicks": clicks.aggregate(total=Sum("count"))["total"] or 0,
        "signups": signups, "conversions": sums["conversions"], "rewarded": sums["rewarded"],
        "flagged": sums["flagged"], "blocked": sums["blocked"],
        "conversion_rate": (round(Decimal(100 * sums["conversions"]) / signups, 1)
                            if signups else Decimal("0")),
        "revenue": sums["revenue"] or Decimal("0"), "reward_points": points,
        "reward_cost": _reward_cost(referrals, points), "currency": settings.SHOP_CURRENCY,
        "by_status": dict(referrals.values_list("status").annotate(n=Count("pk"))
                          .values_list("status", "n")),
    }


def advocate_leaderboard(*, limit: int = 10) -> list[dict]:
    """The top advocates: referrers ranked by conversions, then referred revenue."""
    rows = (Referral.objects.values("referrer", "referrer__email", "referrer__first_name",
                                    "referrer__last_name")
            .annotate(conversions=Count("pk", filter=Q(status__in=Referral.CONVERTED)),
                      signups=Count("pk", filter=Q(status__in=SIGNED_UP)),
                      revenue=Sum("order_total", filter=Q(status__in=Referral.CONVERTED)),
                      points=Sum("reward_points", filter=Q(status=Status.REWARDED)))
            .filter(conversions__gt=0)
            .order_by("-conversions", "-revenue", "referrer")[:limit])
    clicks = dict(ReferralClick.objects.filter(code__customer__in=[r["referrer"] for r in rows])
                  .values_list("code__customer").annotate(n=Sum("count"))
                  .values_list("code__customer", "n"))
    return [{
        "customer_id": row["referrer"], "email": row["referrer__email"],
        "name": f"{row['referrer__first_name']} {row['referrer__last_name']}".strip(),
        "clicks": clicks.get(row["referrer"], 0), "signups": row["signups"],
        "conversions": row["conversions"], "revenue": row["revenue"] or Decimal("0"),
        "points": row["points"] or 0,
    } for row in rows]


def referral_code_for_customer(*, customer: Customer) -> ReferralCode | None:
    return ReferralCode.objects.filter(customer=customer).first()


def _iso(value):
    return value.isoformat() if value else None


def referral_export(*, customer: Customer) -> dict:
    """The customer's referrals for a data-access request: their code, the friends they
    referred (by a masked label, since those are other people's data) and the referral
    that brought them, if any."""
    code = ReferralCode.objects.filter(customer=customer).first()
    made = (Referral.objects.filter(referrer=customer).select_related("friend")
            .order_by("created_at", "pk"))
    received = (Referral.objects.filter(friend=customer).select_related("code")
                .order_by("created_at", "pk"))
    return {
        "referral_code": code.code if code else None,
        "referrals_made": [
            {"friend": referral_friend_label(r), "status": r.status,
             "signed_up_at": _iso(r.created_at)} for r in made],
        "referrals_received": [
            {"code": r.code.code, "status": r.status, "email": r.friend_email,
             "signed_up_at": _iso(r.created_at)} for r in received],
    }


def referral_activity_texts(activities: list) -> dict[int, str]:
    """"Lena joined with your link" for each referral_converted activity (one query): the
    friend's first name, or "A friend" when they gave none or were erased."""
    ids = {a.data.get("referral") for a in activities if a.data.get("referral")}
    names = dict(Referral.objects.filter(pk__in=ids).values_list("pk", "friend__first_name"))
    return {a.pk: _("%(name)s joined with your link") % {
        "name": names.get(a.data.get("referral")) or _("A friend")} for a in activities}


def referral_code_find(*, code: str) -> ReferralCode | None:
    """The share link's code as a shopper typed or followed it (spaces and case ignored), with
    its customer, or None. A code no row can hold (NUL, which PostgreSQL refuses in text, or
    longer than a code) is looked up nowhere."""
    code = code_normalize(code)
    if "\x00" in code or len(code) > CODE_MAX_LENGTH:
        return None
    return ReferralCode.objects.select_related("customer").filter(code=code).first()
