"""Reads of the storefront: keys, the shopper a token stands for, and what the widget shows."""

import datetime as dt
from collections.abc import Callable

from django.core import signing
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from customers.models import Activity, Customer
from kernel.compiled import compiled_first
from loyalty.models import EarningRule
from loyalty.selectors import money_format

from . import errors
from .models import PublishableKey
from .services import TOKEN_MAX_AGE, TOKEN_SALT


def publishable_key_authenticate(*, raw_key: str) -> PublishableKey | None:
    """The active storefront with this publishable key, or None."""
    if not raw_key.startswith("pk_"):
        return None
    # Every storefront request runs this lookup: compiled once per process.
    return compiled_first("storefront.publishable_key", lambda key: PublishableKey.objects.filter(
        key=key, revoked_at__isnull=True), raw_key)


def origin_allowed(*, publishable_key: PublishableKey, origin: str) -> bool:
    return origin.rstrip("/").lower() in publishable_key.origins


def origins_all() -> set[str]:
    """Every active storefront's origins (a CORS preflight names no key)."""
    found: set[str] = set()
    for text in PublishableKey.objects.filter(revoked_at__isnull=True).values_list(
            "allowed_origins", flat=True):
        found.update(line.strip().rstrip("/").lower() for line in text.splitlines()
                     if line.strip())
    return found


def shopper_from_token(*, publishable_key: PublishableKey, token: str) -> Customer:
    """The customer the token was issued for, on this storefront; refused when it is forged,
    expired, from another storefront, or the customer was erased."""
    try:
        payload = signing.loads(token, salt=TOKEN_SALT,
                                max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        raise errors.ShopperTokenRefused(errors.TOKEN_INVALID) from None
    if not isinstance(payload, dict) or payload.get("k") != publishable_key.pk:
        raise errors.ShopperTokenRefused(errors.TOKEN_INVALID)
    customer_id = payload.get("c")
    customer = (Customer.objects.filter(pk=customer_id, erased_at__isnull=True).first()
                if isinstance(customer_id, int) else None)
    if customer is None:
        raise errors.ShopperTokenRefused(errors.TOKEN_INVALID)
    return customer


ACTIVITY_WORDS: dict[str, Callable[[], str]] = {
    Activity.Kind.ACCOUNT_CREATED: lambda: _("Join the programme"),
    Activity.Kind.BIRTHDAY: lambda: _("Celebrate your birthday"),
    Activity.Kind.QUIZ_COMPLETED: lambda: _("Take a quiz"),
    Activity.Kind.NPS_ANSWERED: lambda: _("Tell us how we're doing"),
    Activity.Kind.REFERRAL_CONVERTED: lambda: _("Refer a friend who orders"),
}


def _short_date(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d")


def ways_to_earn(*, currency: str, now: dt.datetime | None = None) -> list[dict]:
    """The active earning rules in a shopper's words: what to do and what it earns."""
    now = now or timezone.now()
    rows = []
    rules = EarningRule.objects.filter(is_active=True).order_by("kind", "name")
    for rule in rules:
        if rule.ends_at and rule.ends_at < now:
            continue
        multiplier = rule.multiplier or 1
        if rule.kind == EarningRule.Kind.ORDER:
            per_unit = rule.points_per_unit * multiplier
            per_unit_text = f"{per_unit.normalize():f}"
            title = _("Shop with us")
            count = int(per_unit) if per_unit == int(per_unit) else 2  # 0.5 points: plural
            earns = ngettext("%(points)s point per %(unit)s spent",
                             "%(points)s points per %(unit)s spent", count) % {
                "points": per_unit_text, "unit": money_format(1, currency)}
            if rule.min_order_total:
                earns += " · " + _("on orders from %(amount)s") % {
                    "amount": money_format(rule.min_order_total, currency)}
        else:
            words = ACTIVITY_WORDS.get(rule.activity_kind)
            title = words() if words else rule.name
            points = int(rule.points * multiplier)
            earns = ngettext("%(points)s point", "%(points)s points", points) % {
                "points": points}
        if rule.starts_at and rule.starts_at > now:
            earns += " · " + _("from %(date)s") % {"date": _short_date(rule.starts_at)}
        elif rule.ends_at:
            earns += " · " + _("until %(date)s") % {"date": _short_date(rule.ends_at)}
        rows.append({"title": title, "earns": earns, "kind": rule.kind,
                     "activity": rule.activity_kind or ""})
    return rows
