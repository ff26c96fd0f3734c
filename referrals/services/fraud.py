"""Fraud checks on a referral, as small strategy objects.

Each check looks at one thing and returns a `Verdict`: passed, flagged (staff review it; it is
never paid automatically) or blocked (it ends there). `checks_run` writes every verdict on the
referral as a `ReferralCheck` row with its evidence, so staff see why. A blocked verdict may carry
a `public_reason`, shown to the friend when it is safe to say (never which check saw an IP).
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext as _

from customers.models import Customer, Order
from customers.selectors import attributes_latest
from kernel.emails import email_normalise

from ..models import Referral, ReferralCheck

Outcome = ReferralCheck.Outcome
Stage = ReferralCheck.Stage

ADDRESS_KEYS = ("address", "street", "postcode", "zip")


def email_mailbox(email: str) -> str:
    """The mailbox an address delivers to: lower case, `+tags` dropped, and for Gmail
    (gmail.com or googlemail.com) dots in the local part ignored."""
    email = email_normalise(email)
    local, _at, domain = email.rpartition("@")
    if not local:
        return email
    local = local.split("+", 1)[0]
    if domain in ("gmail.com", "googlemail.com"):
        domain = "gmail.com"
        local = local.replace(".", "")
    return f"{local}@{domain}"


def _name(first: str, last: str) -> str:
    return " ".join(f"{first} {last}".lower().split())


@dataclass
class CheckContext:
    referral: Referral
    referrer: Customer
    friend: Customer | None
    friend_email: str
    stage: str
    now: dt.datetime
    program: object
    friend_name: str = ""
    order: Order | None = None


@dataclass
class Verdict:
    outcome: str = Outcome.PASSED
    reason: str = ""
    public_reason: str = ""
    evidence: dict = field(default_factory=dict)


class FraudCheck:
    """One rule. Subclasses set `name` and `stages` and implement `run`."""

    name = ""
    stages: tuple[str, ...] = (Stage.SIGNUP, Stage.ORDER)

    def run(self, ctx: CheckContext) -> Verdict:  # pragma: no cover - abstract
        raise NotImplementedError


def _own_link_reason() -> str:
    return _("This is your own referral link: share it with a friend instead.")


class SameCustomer(FraudCheck):
    name = "self_referral_customer"

    def run(self, ctx):
        same = ctx.friend is not None and ctx.friend.pk == ctx.referrer.pk
        if not same:
            return Verdict()
        return Verdict(Outcome.BLOCKED, _("The friend is the referrer's own customer record."),
                       _own_link_reason(), {"customer": ctx.referrer.pk})


class SameEmail(FraudCheck):
    name = "self_referral_email"

    def run(self, ctx):
        friend, referrer = email_mailbox(ctx.friend_email), email_mailbox(ctx.referrer.email)
        evidence = {"friend": friend, "referrer": referrer}
        if friend != referrer:
            return Verdict(evidence=evidence)
        return Verdict(Outcome.BLOCKED,
                       _("The friend's email reaches the referrer's mailbox."),
                       _own_link_reason(), evidence)


class SameNameAddress(FraudCheck):
    """The same full name flags; the same name and the same address (where both are known as
    profile answers) blocks."""

    name = "self_referral_name"

    def run(self, ctx):
        referrer_name = _name(ctx.referrer.first_name, ctx.referrer.last_name)
        friend_name = ctx.friend_name or (
            _name(ctx.friend.first_name, ctx.friend.last_name) if ctx.friend else "")
        if not referrer_name or " " not in referrer_name or friend_name != referrer_name:
            return Verdict(evidence={"friend_name": friend_name})
        evidence = {"name": friend_name}
        if ctx.friend is not None:
            mine = attributes_latest(customer=ctx.referrer)
            theirs = attributes_latest(customer=ctx.friend)
            same = [key for key in ADDRESS_KEYS if key in mine and key in theirs
                    and mine[key].value.strip().lower() == theirs[key].value.strip().lower()]
            if same:
                evidence["same_address"] = same
                return Verdict(Outcome.BLOCKED,
                               _("The friend has the referrer's name and address."),
                               _own_link_reason(), evidence)
        return Verdict(Outcome.FLAGGED, _("The friend has the referrer's full name."),
                       evidence=evidence)


class ExistingCustomer(FraudCheck):
    """A friend who already ordered is blocked when only first orders count, flagged when not."""

    name = "existing_customer"

    def run(self, ctx):
        if ctx.friend is None:
            return Verdict()
        earlier = Order.objects.filter(customer=ctx.friend, paid_at__isnull=False)
        if ctx.order is not None:
            earlier = earlier.exclude(pk=ctx.order.pk).filter(paid_at__lte=ctx.order.paid_at
                                                               or ctx.now)
        count = earlier.count()
        evidence = {"earlier_orders": count}
        if not count:
            return Verdict(evidence=evidence)
        if ctx.program.first_order_only:
            return Verdict(Outcome.BLOCKED, _("The friend already had paid orders."),
                           _("This offer is for new customers only."), evidence)
        return Verdict(Outcome.FLAGGED, _("The friend already had paid orders."),
                       evidence=evidence)


class SameDevice(FraudCheck):
    name = "same_device"
    stages = (Stage.SIGNUP,)  # the friend's IP and browser are known only at sign-up

    def run(self, ctx):
        code, referral = ctx.referral.code, ctx.referral
        window = dt.timedelta(hours=ctx.program.same_device_hours)
        same = (referral.ip_hash and referral.ua_hash and code.owner_seen_at
                and referral.ip_hash == code.owner_ip_hash
                and referral.ua_hash == code.owner_ua_hash
                and abs(ctx.now - code.owner_seen_at) <= window)
        if not same:
            return Verdict()
        return Verdict(Outcome.FLAGGED,
                       _("Same IP address and browser as the referrer within %(hours)s hours.")
                       % {"hours": ctx.program.same_device_hours},
                       evidence={"ip_hash": referral.ip_hash[:12], "ua_hash": referral.ua_hash[:12],
                                 "referrer_seen_at": code.owner_seen_at.isoformat()})


class IpBurst(FraudCheck):
    """Judged at sign-up, on the sign-ups before it: the first N from an IP stay clean."""

    name = "ip_burst"
    stages = (Stage.SIGNUP,)

    def run(self, ctx):
        if not ctx.referral.ip_hash:
            return Verdict()
        count = Referral.objects.filter(
            ip_hash=ctx.referral.ip_hash, created_at__gt=ctx.now - dt.timedelta(days=7),
            created_at__lte=ctx.now,
        ).count()
        limit = ctx.program.ip_referrals_7_days
        evidence = {"referrals_from_ip_7_days": count, "limit": limit}
        if count <= limit:
            return Verdict(evidence=evidence)
        return Verdict(Outcome.FLAGGED,
                       _("%(count)s referrals from one IP address in 7 days (limit %(limit)s).")
                       % {"count": count, "limit": limit}, evidence=evidence)


class OtherBuyer(FraudCheck):
    """The friend's voucher was used on someone else's order: flagged (it may be a gift; it
    may be a made-up friend whose voucher the referrer uses)."""

    name = "voucher_used_by_other"
    stages = (Stage.ORDER,)

    def run(self, ctx):
        signed_up = ctx.referral.friend
        buyer = ctx.order.customer if ctx.order is not None else None
        if signed_up is None or buyer is None or signed_up.pk == buyer.pk:
            return Verdict()
        return Verdict(Outcome.FLAGGED,
                       _("The friend's voucher was used on another customer's order."),
                       evidence={"signed_up": signed_up.pk, "ordered": buyer.pk})


class Cap(FraudCheck):
    name = "cap"
    stages = (Stage.ORDER,)

    def run(self, ctx):
        cap = ctx.program.cap_per_30_days
        if not cap:
            return Verdict()
        count = (Referral.objects.filter(referrer=ctx.referrer, status__in=Referral.CONVERTED,
                                         converted_at__gt=ctx.now - dt.timedelta(days=30))
                 .filter(~Q(pk=ctx.referral.pk)).count())
        evidence = {"conversions_30_days": count, "cap": cap}
        if count < cap:
            return Verdict(evidence=evidence)
        return Verdict(Outcome.BLOCKED,
                       _("The referrer reached the cap of %(cap)s conversions in 30 days.")
                       % {"cap": cap}, evidence=evidence)


CHECKS: list[FraudCheck] = [
    SameCustomer(), SameEmail(), SameNameAddress(), ExistingCustomer(), SameDevice(), IpBurst(),
    OtherBuyer(), Cap(),
]


def checks_run(ctx: CheckContext) -> list[tuple[FraudCheck, Verdict]]:
    """Run every check for the stage and write each verdict on the referral (once per check and
    stage: running again updates the row)."""
    results = []
    for check in CHECKS:
        if ctx.stage not in check.stages:
            continue
        verdict = check.run(ctx)
        ReferralCheck.objects.update_or_create(
            referral=ctx.referral, check_name=check.name, stage=ctx.stage,
            defaults={"outcome": verdict.outcome, "reason": verdict.reason[:255],
                      "evidence": verdict.evidence, "created_at": ctx.now},
        )
        results.append((check, verdict))
    return results
