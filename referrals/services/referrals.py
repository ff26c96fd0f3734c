"""Every write of refer-a-friend: codes, clicks, sign-ups, conversions, rewards, refunds and
staff review. Status changes go through `_status_set`, which puts each one on the referrer's
timeline as `referral_status_changed` with `{"referral": id, "status": new_status}`."""

import datetime as dt
import hashlib
import hmac
import io
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from customers.models import Activity, Branding, Customer, Order, Refund
from customers.services import activity_record, activity_record_many, customer_upsert
from kernel import lettering
from kernel.emails import email_normalise
from kernel.errors import Conflict, FlywheelError, NotFound
from loyalty import selectors as loyalty_selectors
from loyalty import services as loyalty_services
from loyalty.models import voucher_code_normalize

from ..models import (
    Referral,
    ReferralCheck,
    ReferralClick,
    ReferralCode,
    ReferralProgram,
)
from ..models.referrals import CODE_ALPHABET, CODE_LENGTH, code_normalize
from ..selectors.referrals import referral_code_find
from .fraud import CheckContext, checks_run

logger = logging.getLogger(__name__)
Status = Referral.Status
Outcome = ReferralCheck.Outcome

# A share link counts at most this many clicks per visitor IP and day; past it the visitor is
# rate-limited. One IP may open at most this many different links a day. So bots add at most
# LINKS_PER_IP_PER_DAY rows per IP and day, each with a count of at most CLICKS_PER_LINK_PER_DAY.
CLICKS_PER_LINK_PER_DAY = 30
LINKS_PER_IP_PER_DAY = 20
# Sign-ups one IP can make in a day: each makes a profile and a voucher, so bots must not.
SIGNUPS_PER_IP_PER_DAY = 10
# The referrer's IP and browser are noted at most this often (for the same-device check).
OWNER_SEEN_EVERY = dt.timedelta(hours=1)


class ReferralProgramClosed(FlywheelError):
    code = "referral_program_closed"
    status = 409


class ReferralBlocked(FlywheelError):
    code = "referral_blocked"
    status = 422


class ReferralRateLimited(FlywheelError):
    code = "too_many_signups"
    status = 429


class ReferralNotReviewable(Conflict):
    code = "referral_not_reviewable"


def fingerprint(value: str) -> str:
    """A keyed hash of an IP address or user agent: equal inputs compare equal, and the raw
    value is never stored."""
    if not value:
        return ""
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()[:32]


# ---------------------------------------------------------------------------------------------
# Codes and clicks


def referral_code_get_or_create(*, customer: Customer) -> ReferralCode:
    """The customer's referral code, made on first need: CODE_LENGTH characters from an alphabet
    without look-alikes, unique (a collision or a concurrent first call just retries)."""
    for _attempt in range(10):
        existing = ReferralCode.objects.filter(customer=customer).first()
        if existing:
            return existing
        code = "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))
        try:
            with transaction.atomic():
                return ReferralCode.objects.create(customer=customer, code=code)
        except IntegrityError:
            continue
    raise RuntimeError("Could not make a unique referral code")


def referral_owner_seen(*, code: ReferralCode, ip: str, user_agent: str,
                        now: dt.datetime | None = None) -> None:
    """Note where the referrer uses their account (hashed IP and browser), for the same-device
    check; written at most once per OWNER_SEEN_EVERY unless it changed."""
    now = now or timezone.now()
    ip_hash, ua_hash = fingerprint(ip), fingerprint(user_agent)
    if (code.owner_ip_hash == ip_hash and code.owner_ua_hash == ua_hash and code.owner_seen_at
            and now - code.owner_seen_at < OWNER_SEEN_EVERY):
        return
    ReferralCode.objects.filter(pk=code.pk).update(owner_ip_hash=ip_hash, owner_ua_hash=ua_hash,
                                                   owner_seen_at=now)
    code.owner_ip_hash, code.owner_ua_hash, code.owner_seen_at = ip_hash, ua_hash, now


@dataclass(frozen=True)
class ClickResult:
    code: ReferralCode
    limited: bool


def referral_click_record(*, code: str, ip: str, now: dt.datetime | None = None) -> ClickResult:
    """Count a click on a share link: one row per code, hashed IP and day with a capped count.
    A visitor past CLICKS_PER_LINK_PER_DAY on a link, or opening more than LINKS_PER_IP_PER_DAY
    links a day, is `limited` and adds nothing. An unknown code is not_found."""
    now = now or timezone.now()
    row = referral_code_find(code=code)
    if row is None:
        raise NotFound(_("This referral link doesn't exist."), code="referral_code_not_found")
    ip_hash, day = fingerprint(ip or "unknown"), now.date()
    clicks = ReferralClick.objects.filter(code=row, ip_hash=ip_hash, day=day)
    if clicks.filter(count__lt=CLICKS_PER_LINK_PER_DAY).update(count=F("count") + 1):
        return ClickResult(row, limited=False)
    if clicks.exists():
        return ClickResult(row, limited=True)
    if ReferralClick.objects.filter(ip_hash=ip_hash, day=day).count() >= LINKS_PER_IP_PER_DAY:
        return ClickResult(row, limited=True)
    try:
        with transaction.atomic():
            ReferralClick.objects.create(code=row, ip_hash=ip_hash, day=day, first_at=now)
    except IntegrityError:  # a concurrent first click made the row: count this one on it
        counted = clicks.filter(count__lt=CLICKS_PER_LINK_PER_DAY).update(count=F("count") + 1)
        return ClickResult(row, limited=not counted)
    return ClickResult(row, limited=False)


# ---------------------------------------------------------------------------------------------
# Status changes


def _status_set(referral: Referral, status: str, *, now: dt.datetime, reason: str = "",
                fields: tuple[str, ...] = ()) -> Referral:
    referral.status = status
    referral.status_changed_at = now
    if reason:
        referral.reason = reason[:255]
    referral.save(update_fields=["status", "status_changed_at", "reason", *fields])
    _status_announce(referral, status, now=now)
    return referral


def _statuses_set(changes: list[tuple[Referral, str, str]], *, now: dt.datetime) -> None:
    """`_status_set` for many referrals (each with its new status and reason), in one UPDATE
    per status and reason and one timeline write for them all."""
    groups: dict[tuple[str, str], list[int]] = {}
    for referral, status, reason in changes:
        referral.status, referral.status_changed_at = status, now
        referral.reason = reason[:255]
        groups.setdefault((status, referral.reason), []).append(referral.pk)
    for (status, reason), pks in groups.items():
        Referral.objects.filter(pk__any=pks).update(status=status, status_changed_at=now,
                                                   reason=reason)
    activity_record_many(rows=[_status_row(referral, status, now=now)
                               for referral, status, _reason in changes])


def _status_row(referral: Referral, status: str, *, now: dt.datetime) -> dict:
    """A status on the referrer's timeline, once per referral and status."""
    return {"customer": referral.referrer, "kind": Activity.Kind.REFERRAL_STATUS_CHANGED,
            "occurred_at": now, "reference": f"referral:{referral.pk}",
            "data": {"referral": referral.pk, "status": status},
            "key": f"referral:{referral.pk}:status:{status}"}


def _status_announce(referral: Referral, status: str, *, now: dt.datetime) -> None:
    """Put a status on the referrer's timeline, once per referral and status."""
    activity_record(**_status_row(referral, status, now=now))


def _blocking(results) -> tuple[str, str] | None:
    """(staff reason, public reason) of the first blocked verdict, if any."""
    for _check, verdict in results:
        if verdict.outcome == Outcome.BLOCKED:
            return verdict.reason, verdict.public_reason
    return None


# ---------------------------------------------------------------------------------------------
# The friend signs up


def referral_signup(
    *, code: ReferralCode, email: str, name: str = "", ip: str = "", user_agent: str = "",
    now: dt.datetime | None = None,
) -> Referral:
    """A friend gives their email on a share link's page. Runs the sign-up fraud checks; a
    blocked referral gets no voucher (ReferralBlocked carries the reason that is safe to show).
    One IP makes at most SIGNUPS_PER_IP_PER_DAY new sign-ups a day (too_many_signups, 429).
    Otherwise the friend gets the program's welcome voucher (once: signing up again with the
    same email returns the same referral and voucher), by email too, after commit."""
    now = now or timezone.now()
    program = ReferralProgram.cached()
    if not program.is_active:
        raise ReferralProgramClosed(_("This referral offer has ended."))
    email = email_normalise(email)
    try:
        validate_email(email)
    except ValidationError as error:
        raise FlywheelError(_("Enter a valid email address."), code="invalid_email",
                            fields={"email": _("Enter a valid email address.")}) from error
    first, _sep, last = " ".join(name.split()).partition(" ")
    ip_hash = fingerprint(ip)
    with transaction.atomic():
        existing = Referral.objects.filter(code=code, friend_email=email).first()
        if existing is None and ip_hash and Referral.objects.filter(
            ip_hash=ip_hash, created_at__gt=now - dt.timedelta(days=1), created_at__lte=now,
        ).count() >= SIGNUPS_PER_IP_PER_DAY:
            raise ReferralRateLimited(
                _("Too many sign-ups from your network today. Please try again tomorrow."))
        if existing is None:
            # An existing profile is never renamed from this public form.
            friend = Customer.objects.filter(email=email).first() or customer_upsert(
                email=email, first_name=first, last_name=last, source="referral")
            try:
                with transaction.atomic():
                    referral = Referral.objects.create(
                        referrer=code.customer, code=code, friend=friend, friend_email=email,
                        ip_hash=ip_hash, ua_hash=fingerprint(user_agent),
                        created_at=now, status_changed_at=now,
                    )
            except IntegrityError:
                existing = Referral.objects.get(code=code, friend_email=email)
        if existing is not None:
            return _signup_answer(existing)
        results = checks_run(CheckContext(
            referral=referral, referrer=code.customer, friend=friend, friend_email=email,
            stage=ReferralCheck.Stage.SIGNUP, now=now, program=program,
            friend_name=" ".join(name.lower().split()),
        ))
        blocked = _blocking(results)
        if blocked:
            _status_set(referral, Status.BLOCKED, now=now, reason=blocked[1] or blocked[0])
        else:
            _status_announce(referral, Status.SIGNED_UP, now=now)
            if program.friend_reward is not None:  # no query when there is none
                voucher = loyalty_services.voucher_grant(
                    customer=friend, reward=program.friend_reward,
                    key=f"referral:{referral.pk}:friend", now=now, notify=False)
                referral.voucher, referral.voucher_code = voucher, voucher.code
                referral.save(update_fields=["voucher", "voucher_code"])
                from ..tasks import referral_friend_email_task

                referral_friend_email_task.delay_on_commit(referral.pk)
    return _signup_answer(referral)


def _signup_answer(referral: Referral) -> Referral:
    if referral.status == Status.BLOCKED:
        raise ReferralBlocked(referral.reason or _("This referral can't be used."))
    return referral


# ---------------------------------------------------------------------------------------------
# The friend's order, the hold, the reward


def _voucher_codes(order: Order) -> set[str]:
    codes = {voucher_code_normalize(str(code)) for code in order.discount_codes or []}
    codes.discard("")
    return codes


def _referrals_for_orders(orders: list[tuple[Order, Customer]]) -> dict[int, Referral]:
    """The referral each order (carrying a code, with its customer) converts, by order id,
    locked in id order: the one whose friend's voucher code it used, else the one of its
    referral code for its customer (by account, then by email; one is made for them if none
    is). A fixed number of statements for the batch, and one each for a referral made."""
    found: dict[int, Referral] = {}
    codes = {order.pk: _voucher_codes(order) for order, _customer in orders}
    by_voucher: dict[str, Referral] = {}
    if any(codes.values()):
        for referral in (Referral.objects.select_for_update()
                         .filter(voucher_code__any=set().union(*codes.values())).order_by("pk")):
            by_voucher.setdefault(referral.voucher_code, referral)
    for order, _customer in orders:
        matches = [by_voucher[code] for code in codes[order.pk] if code in by_voucher]
        if matches:
            found[order.pk] = min(matches, key=lambda referral: referral.pk)
    coded = [(order, customer) for order, customer in orders
             if order.pk not in found and order.referral_code]
    if not coded:
        return found
    referral_codes = ReferralCode.objects.select_related("customer").in_bulk(
        {code_normalize(order.referral_code) for order, _customer in coded}, field_name="code")
    coded = [(order, customer) for order, customer in coded
             if code_normalize(order.referral_code) in referral_codes]
    if not coded:
        return found
    mine: dict[tuple[int, int], Referral] = {}
    by_email: dict[tuple[int, str], Referral] = {}
    locked = list(Referral.objects.select_for_update()  # in id order, as above
                  .filter(Q(friend__any={customer.pk for _order, customer in coded})
                          | Q(friend_email__any={customer.email for _order, customer in coded}),
                          code__any=[code.pk for code in referral_codes.values()])
                  .order_by("pk"))
    # The newest first, as a referral's default ordering reads them.
    for referral in sorted(locked, key=lambda r: (r.created_at, r.pk), reverse=True):
        if referral.friend_id:
            mine.setdefault((referral.code_id, referral.friend_id), referral)
        by_email.setdefault((referral.code_id, referral.friend_email), referral)
    for order, customer in coded:
        code = referral_codes[code_normalize(order.referral_code)]
        match = mine.get((code.pk, customer.pk)) or by_email.get((code.pk, customer.email))
        if match is not None:
            found[order.pk] = match
            continue
        now = order.paid_at or timezone.now()
        with transaction.atomic():
            referral, created = Referral.objects.get_or_create(
                code=code, friend_email=customer.email,
                defaults={"referrer": code.customer, "friend": customer, "created_at": now,
                          "status_changed_at": now},
            )
        if created:
            _status_announce(referral, Status.SIGNED_UP, now=now)
        mine[(code.pk, customer.pk)] = found[order.pk] = referral
    return found


def referrals_convert_for_orders(*, orders: list[Order], now: dt.datetime | None = None
                                 ) -> list[Referral]:
    """Paid orders that carry a referred friend's voucher code (in `discount_codes`) or a
    referral code (`Order.referral_code`) convert that referral, once, if it qualifies: within
    the attribution window and at least the minimum total (a smaller order leaves the referral
    waiting). The order-stage fraud checks then decide: blocked ends it, flagged waits for staff,
    otherwise it is pending until the hold passes (rewarded at once when the hold is 0 days).

    Most orders carry no code and cost nothing; finding the referrals of the rest takes a fixed
    number of statements for the batch, so an order whose referral already converted (a
    replay, a friend's next order) costs nothing more. Each referral the batch converts runs
    its checks on its own, once in its life. The referrals found."""
    coded = [(order, customer) for order in orders if order.customer_id is not None
             and (_voucher_codes(order) or order.referral_code)
             and (customer := order.customer) is not None]
    if not coded:
        return []  # no savepoint and no settings read
    now = now or timezone.now()
    program = ReferralProgram.cached()
    with transaction.atomic():
        found = _referrals_for_orders(coded)
        return [_referral_convert(referral, order=order, customer=customer, now=now,
                                  program=program)
                for order, customer in coded if (referral := found.get(order.pk)) is not None]


def referral_convert_for_order(*, order: Order, now: dt.datetime | None = None) -> Referral | None:
    """`referrals_convert_for_orders` for one order: its referral, or None."""
    return next(iter(referrals_convert_for_orders(orders=[order], now=now)), None)


def _referral_convert(referral: Referral, *, order: Order, customer: Customer,
                      now: dt.datetime, program: ReferralProgram) -> Referral:
    """The conversion of one referral (locked) by a paid order of the customer's: see
    `referrals_convert_for_orders`."""
    if referral.order_id is not None or referral.status != Status.SIGNED_UP:
        return referral
    paid_at = order.paid_at or now
    if paid_at > referral.created_at + dt.timedelta(days=program.attribution_days):
        return _status_set(referral, Status.EXPIRED, now=now,
                           reason=_("The order came after the attribution window."))
    if order.total < program.minimum_order_total:
        return referral
    referral.order, referral.order_total, referral.currency = order, order.total, order.currency
    referral.converted_at = paid_at
    referral.friend = referral.friend or customer
    referral.save(update_fields=["order", "order_total", "currency", "converted_at",
                                 "friend"])
    # At the order, the friend is whoever bought: a referrer using a made-up friend's
    # voucher on their own order is a self-referral.
    results = checks_run(CheckContext(
        referral=referral, referrer=referral.referrer, friend=customer,
        friend_email=customer.email, stage=ReferralCheck.Stage.ORDER, now=now,
        program=program, order=order,
    ))
    blocked = _blocking(results)
    if blocked:
        return _status_set(referral, Status.BLOCKED, now=now, reason=blocked[0])
    referral.hold_until = paid_at + dt.timedelta(days=program.hold_days)
    if referral.checks.filter(outcome=Outcome.FLAGGED).exists():
        _status_set(referral, Status.FLAGGED, now=now, fields=("hold_until",),
                    reason=_("Waiting for staff review."))
        from ..tasks import referral_flagged_alert_task

        referral_flagged_alert_task.delay_on_commit(referral.pk)
        return referral
    _status_set(referral, Status.PENDING, now=now, fields=("hold_until",))
    if referral.hold_until <= now:
        referral_reward(referral=referral, now=now)
    return referral


def referral_reward(*, referral: Referral, now: dt.datetime | None = None) -> Referral:
    """Reward the referrer for a pending referral whose hold has passed with no refund: the
    `referral_converted` activity (loyalty's rule turns it into points) or the program's reward
    voucher. Once: a referral that is not pending, or still in its hold, is left as it is."""
    now = now or timezone.now()
    program = ReferralProgram.cached()
    with transaction.atomic():
        referral = (Referral.objects.select_for_update(of=("self",))
                    .select_related("referrer", "order").get(pk=referral.pk))
        if referral.status != Status.PENDING or not referral.hold_until \
                or referral.hold_until > now:
            return referral
        if referral.order and referral.order.refunded_total > 0:
            return _status_set(referral, Status.VOID, now=now,
                               reason=_("The friend's order was refunded during the hold."))
        if referral.order and referral.order.cancelled_at:
            return _status_set(referral, Status.VOID, now=now,
                               reason=_("The friend's order was cancelled during the hold."))
        fields = ["rewarded_at"]
        referral.rewarded_at = now
        use_voucher = program.referrer_reward_kind == program.ReferrerRewardKind.REWARD
        if use_voucher and program.referrer_reward is not None:
            voucher = loyalty_services.voucher_grant(
                customer=referral.referrer, reward=program.referrer_reward,
                key=f"referral:{referral.pk}:referrer", now=now)
            referral.reward_voucher = voucher
            fields.append("reward_voucher")
        else:
            activity = activity_record(
                customer=referral.referrer, kind=Activity.Kind.REFERRAL_CONVERTED,
                occurred_at=now, reference=f"referral:{referral.pk}",
                data={"referral": referral.pk}, key=f"referral:{referral.pk}:converted",
            )
            referral.reward_points = loyalty_selectors.activity_points_earned(activity=activity)
            fields.append("reward_points")
        _status_set(referral, Status.REWARDED, now=now, fields=tuple(fields))
    return referral


def referrals_reward_due(*, now: dt.datetime | None = None, batch_size: int = 500) -> int:
    """The periodic job: reward every pending referral whose hold has passed, and expire
    sign-ups whose attribution window closed without an order. Returns how many were rewarded.
    Safe to run twice or on two workers: each referral is locked and checked again."""
    now = now or timezone.now()
    rewarded = 0
    due = Referral.objects.filter(status=Status.PENDING, hold_until__lte=now).order_by("pk")
    for pk in list(due.values_list("pk", flat=True)[:batch_size]):
        referral = referral_reward(referral=Referral(pk=pk), now=now)
        rewarded += referral.status == Status.REWARDED
    window = dt.timedelta(days=ReferralProgram.cached().attribution_days)
    stale = Referral.objects.filter(status=Status.SIGNED_UP, order__isnull=True,
                                    created_at__lt=now - window).order_by("pk")
    for referral in list(stale[:batch_size]):
        with transaction.atomic():
            if Referral.objects.filter(pk=referral.pk, status=Status.SIGNED_UP).exists():
                _status_set(referral, Status.EXPIRED, now=now,
                            reason=_("No order within the attribution window."))
    return rewarded


def referrals_refund(*, refunds: list[Refund], now: dt.datetime | None = None
                     ) -> list[Referral]:
    """Refunds on referred friends' orders (each refund with its order): during the hold
    (pending or flagged) a refund voids the referral; after the referrer was rewarded it
    reverses the reward (the points, once, through the ledger; an unused reward voucher is
    cancelled). The referrals of the refunded orders, in a fixed number of statements for the
    whole batch (a reward voucher aside: each is cancelled on its own)."""
    if not refunds:
        return []
    now = now or timezone.now()
    with transaction.atomic():
        referrals = list(Referral.objects.select_for_update(of=("self",))
                         .select_related("referrer")
                         .filter(order__any={refund.order_id for refund in refunds})
                         .order_by("pk"))
        changes: list[tuple[Referral, str, str]] = [(referral, Status.VOID,
                    _("The friend's order was refunded during the hold."))
                   for referral in referrals if referral.status in (Status.PENDING, Status.FLAGGED)]
        rewarded = [referral for referral in referrals if referral.status == Status.REWARDED]
        reason = _("The friend's order was refunded after the hold.")
        if rewarded:
            loyalty_services.points_reverse_for_activities(reason=reason, activities=list(
                Activity.objects.filter(key__any=[f"referral:{referral.pk}:converted"
                                                 for referral in rewarded])))
        for referral in rewarded:
            used = False
            if referral.reward_voucher is not None:  # no query when there is none
                try:
                    loyalty_services.voucher_cancel(redemption=referral.reward_voucher, now=now)
                except FlywheelError:
                    used = True
            changes.append((referral, Status.REVERSED, _(
                "The friend's order was refunded after the hold; the referrer's voucher was "
                "already used.") if used else reason))
        _statuses_set(changes, now=now)
    return referrals


def referral_refund(*, order: Order, refund: Refund, now: dt.datetime | None = None
                    ) -> Referral | None:
    """`referrals_refund` for one refund of an order: its referral, or None."""
    refund.order = order
    return next(iter(referrals_refund(refunds=[refund], now=now)), None)


# ---------------------------------------------------------------------------------------------
# Staff review


def _reviewable(referral: Referral) -> Referral:
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if referral.status != Status.FLAGGED:
        raise ReferralNotReviewable(
            _("Only flagged referrals wait for review; this one is %(status)s.")
            % {"status": referral.get_status_display()})
    return referral


def _review_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise FlywheelError(_("Give a reason."), code="reason_required",
                            fields={"reason": _("This field is required.")})
    return reason


def referral_approve(*, referral: Referral, by, reason: str,
                     now: dt.datetime | None = None) -> Referral:
    """Staff approve a flagged referral: it becomes pending and is rewarded when its hold has
    passed (at once if it already has). A reason is required."""
    now = now or timezone.now()
    reason = _review_reason(reason)
    with transaction.atomic():
        referral = _reviewable(referral)
        referral.reviewed_by, referral.reviewed_at = by, now
        _status_set(referral, Status.PENDING, now=now, reason=reason,
                    fields=("reviewed_by", "reviewed_at"))
        if referral.hold_until and referral.hold_until <= now:
            referral = referral_reward(referral=referral, now=now)
    return referral


def referral_reject(*, referral: Referral, by, reason: str,
                    now: dt.datetime | None = None) -> Referral:
    """Staff reject a flagged referral: the referrer is never rewarded for it. A reason is
    required."""
    now = now or timezone.now()
    reason = _review_reason(reason)
    with transaction.atomic():
        referral = _reviewable(referral)
        referral.reviewed_by, referral.reviewed_at = by, now
        return _status_set(referral, Status.REJECTED, now=now, reason=reason,
                           fields=("reviewed_by", "reviewed_at"))


# ---------------------------------------------------------------------------------------------
# Personal data


def referral_personal_data_erase(*, customer: Customer, emails: Sequence[str] = ()) -> int:
    """Erase what referrals hold about a customer who asked to be forgotten: their email as a
    referred friend (also where they were invited by one of `emails` but never matched), the
    hashed IP and browser of their sign-ups, the fraud checks' evidence (names, addresses) on
    referrals they made or received, and where they were last seen as a referrer (and their
    share card). Referrals stay, anonymous, so the numbers add up. Returns how many referrals
    were changed. Safe to run twice."""
    emails = [email_normalise(e) for e in emails if e]
    with transaction.atomic():
        changed = 0
        ReferralCheck.objects.filter(
            Q(referral__referrer=customer) | Q(referral__friend=customer)
            | Q(referral__friend_email__in=emails)).update(evidence={})
        for referral in Referral.objects.select_for_update().filter(
                Q(friend=customer) | Q(friend_email__in=emails)):
            referral.friend_email = f"erased-{referral.pk}@invalid"
            referral.ip_hash = referral.ua_hash = ""
            referral.save(update_fields=["friend_email", "ip_hash", "ua_hash"])
            changed += 1
        ReferralCode.objects.filter(customer=customer).update(
            owner_ip_hash="", owner_ua_hash="", owner_seen_at=None, share_card=None,
            share_card_key="")
    return changed


# ---------------------------------------------------------------------------------------------
# Share card


def _offer_text() -> str:
    program = ReferralProgram.cached()
    if program.friend_reward is not None:
        return _("Get %(offer)s with my code") % {"offer": program.friend_reward.name}
    return _("Join me with my code")


def share_card_png(*, code: ReferralCode, share_url: str) -> bytes:
    """The share card (1080x1080 PNG) in the active language: the shop's name, the offer, the
    code and a QR code of the share link. Drawn once and kept on the code's row until the offer,
    link, language or the fonts on this machine change. Persian is shaped and right to left
    where Pillow has libraqm; without it a right-to-left language's card is drawn in English
    (unjoined, reversed letters would be unreadable) and `check --deploy` says so."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    if translation.get_language_bidi() and not lettering.can_shape():
        logger.warning("Pillow has no libraqm: the %s share card is drawn in English.", language)
        language = "en"
    with translation.override(language):
        offer = _offer_text()
    brand = Branding.cached()
    key = hashlib.sha256(f"v4|{language}|{lettering.fingerprint()}|{brand.name}|"
                         f"{brand.primary_colour}|{brand.text_colour}|{offer}|"
                         f"{share_url}".encode()).hexdigest()
    if code.share_card_key == key and code.share_card:
        return bytes(code.share_card)
    png = _draw_card(code=code.code, share_url=share_url, offer=offer, brand=brand,
                     language=language)
    ReferralCode.objects.filter(pk=code.pk).update(share_card=png, share_card_key=key)
    code.share_card, code.share_card_key = png, key
    return png


def _rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    red, green, blue = (int(colour[i:i + 2], 16) for i in (0, 2, 4))
    return red, green, blue


def _draw_card(*, code: str, share_url: str, offer: str, brand: Branding,
               language: str) -> bytes:
    import segno
    from PIL import Image, ImageDraw

    size, ink, paper = 1080, (31, 27, 45), (255, 255, 255)
    accent, on_accent = _rgb(brand.primary_colour), _rgb(brand.text_colour)
    card = Image.new("RGB", (size, size), paper)
    draw = ImageDraw.Draw(card)
    draw.rectangle((0, 0, size, 150), fill=accent)
    tag = lettering.language_tag(language)
    with translation.override(language):
        rtl = translation.get_language_bidi()

    def centred(middle, text, px, fill, *, direction=None, language=tag):
        """`text` centred on the line at `middle`, in the first font that has all its
        letters, made smaller until it fits the card's width."""
        face = lettering.face_for(text)
        options = lettering.layout(face, language=language, direction=direction)
        font = lettering.font(face, px)
        while draw.textlength(text, font=font, **options) > size - 80 and px > 18:
            px -= 4
            font = lettering.font(face, px)
        draw.text((size / 2, middle), text, font=font, fill=fill, anchor="mm", **options)

    centred(75, brand.name, 56, on_accent)  # direction from the name's own letters
    centred(232, offer, 52, ink, direction="rtl" if rtl else "ltr")
    centred(357, code, 110, accent, direction="ltr", language=None)
    qr = io.BytesIO()
    segno.make(share_url, error="m").save(qr, kind="png", scale=12, border=2)
    qr_image = Image.open(io.BytesIO(qr.getvalue())).convert("RGB")
    qr_image = qr_image.resize((520, 520), Image.Resampling.NEAREST)
    card.paste(qr_image, ((size - 520) // 2, 440))
    centred(1005, share_url.split("://", 1)[-1], 34, ink, direction="ltr", language=None)
    out = io.BytesIO()
    card.save(out, format="PNG", optimize=True)
    return out.getvalue()
