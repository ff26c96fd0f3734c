"""VIP tiers: customers move up as soon as they qualify and down only at re-evaluation.

The rules, one place each:
- Qualifying: the program's metric over its period (loyalty/qualification.py) reaches a
  tier's threshold.
- Up: at once, whenever points become available or an order is paid (`tiers_promote`).
- Down: only at re-evaluation (`tiers_reevaluate`, at period end), and only once the tier's
  retention period (or a manual tier's end date) has passed: `tier_kept_until`.
- Manual tier: a floor until its end date; staff and their reason are recorded.
- Live edits (rename, thresholds, add, remove): `tiers_recalculate` runs in the background and
  only moves people up; removing a tier moves its members to the best remaining tier they
  qualify for, and never below the tier that was under the removed one.
- Every change is a TierChange row, a `tier_changed` activity on the timeline and the profile's
  `loyalty_tier`; the first time a customer reaches a tier they get its entry points and
  reward (once per tier per customer), and a tier-up email.
"""

import datetime as dt
import logging
from collections.abc import Sequence
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from customers.models import Activity, Customer, Order
from customers.services import activity_record_many, customer_tier_set, customers_tier_set
from kernel.bulk import update_each
from kernel.errors import FlywheelError
from kernel.images import image_clean

from .. import qualification as q
from ..errors import RewardOutOfStock
from ..models import (
    LoyaltyAccount,
    LoyaltyProgram,
    PointsEntry,
    PointsLot,
    Redemption,
    Tier,
    TierChange,
)
from .accounts import account_locked, opened_entries
from .program import program_get, tiers_get

logger = logging.getLogger(__name__)
Reason = TierChange.Reason
BADGE_MAX_BYTES = 2 * 1024 * 1024
BADGE_SIZE = 256
BATCH = 500
rank = q.rank


def _entry_key(tier: Tier, account: LoyaltyAccount) -> str:
    return f"{q.ENTRY_KEY_PREFIX}{tier.pk}:entry:{account.pk}"


def _entry_rewards(account: LoyaltyAccount, tier: Tier) -> None:
    """The tier's entry points and reward, once per tier per customer (keyed by both). The
    points never count toward a tier (qualification leaves `tier:` entries out), so nobody is
    promoted for them. While the tier is held (`tier_held_until`: reached with orders still
    in their return window) both wait for the window to close, and a refund meanwhile
    withdraws them (tiers_withdraw_for_refunds)."""
    from .ledger import points_award_locked
    from .rewards import voucher_grant

    key = _entry_key(tier, account)
    held_until = account.tier_held_until
    if tier.entry_points:
        # No reason written: it is worded when read (points_entry_reasons), in the
        # reader's language.
        points_award_locked(account, points=tier.entry_points, key=key,
                            kind=PointsEntry.Kind.BONUS, held_until=held_until)
    if tier.entry_reward is not None:  # no query when the tier has none
        try:
            voucher_grant(customer=account.customer, reward=tier.entry_reward, key=key,
                          held_until=held_until)
        except RewardOutOfStock:
            logger.warning("Tier %s entry reward is out of stock for account %s",
                           tier.pk, account.pk)


def _move(account: LoyaltyAccount, to: Tier | None, *, reason: str, now: dt.datetime,
          program: LoyaltyProgram, staff=None, note: str = "",
          value: Decimal | None = None) -> TierChange | None:
    """Put a locked account in `to`, with the record, timeline, profile and rewards."""
    changes = _moves_apply([(account, to, value)], reason=reason, now=now, program=program,
                           staff=staff, note=note)
    return changes[0] if changes else None


def _moves_apply(moves: Sequence[tuple[LoyaltyAccount, Tier | None, Decimal | None]], *,
                 reason: str, now: dt.datetime, program: LoyaltyProgram, staff=None,
                 note: str = "") -> list[TierChange]:
    """Put locked accounts in their new tiers ((account, tier, qualifying value) each), with
    the records, timeline rows and profiles written set-based: one UPDATE of the accounts, one
    INSERT of TierChange rows, one of timeline rows and one UPDATE of the profiles, whatever
    the number of moves (and one read of the return windows of those moving up). Then each
    account moved up gets its tier's rewards and email. Accounts already in their tier are
    left alone; returns the changes made."""
    moving = [(account, to, value) for account, to, value in moves
              if (account.tier_id or None) != (to.pk if to else None)]
    ups = [account for account, to, _value in moving
           if rank(to) > rank(account.tier) and reason != Reason.MANUAL]
    held = _return_windows_end(ups, program, now)
    changes = []
    for account, to, value in moving:
        old = account.tier
        is_up = rank(to) > rank(old)
        account.tier = to
        account.tier_since = now
        if is_up and reason != Reason.MANUAL:  # a manual tier is kept until its own end date
            kept = now + dt.timedelta(days=program.tier_retention_days)
            account.tier_kept_until = max(filter(None, [account.tier_kept_until, kept]))
            account.tier_held_until = held.get(account.pk)
        changes.append(TierChange(
            account=account, from_tier=old, to_tier=to, from_name=old.default_name if old else "",
            to_name=to.default_name if to else "", is_up=is_up, reason=reason, note=note,
            staff=staff, qualifying_value=value, created_at=now,
        ))
    if not changes:
        return []
    update_each(LoyaltyAccount, {change.account.pk: {
        "tier": change.account.tier_id, "tier_since": now,
        "tier_kept_until": change.account.tier_kept_until,
        "tier_held_until": change.account.tier_held_until} for change in changes})
    TierChange.objects.bulk_create(changes)
    activity_record_many(rows=[{
        "customer": change.account.customer, "kind": Activity.Kind.TIER_CHANGED,
        "occurred_at": now, "reference": change.to_name, "key": f"tier_change:{change.pk}",
        "data": {"from": change.from_name, "to": change.to_name, "reason": reason},
    } for change in changes], new_keys=True)
    customers_tier_set(tiers=[(change.account.customer, change.to_name)
                              for change in changes])
    for change in changes:
        if change.is_up and change.to_tier is not None:
            _entry_rewards(change.account, change.to_tier)
            if change.to_tier.threshold > 0 or change.from_tier is not None:
                from ..tasks import tier_up_email_task

                tier_up_email_task.delay_on_commit(change.pk)
    return changes


def _return_windows_end(accounts: list[LoyaltyAccount], program: LoyaltyProgram,
                        now: dt.datetime) -> dict[int, dt.datetime]:
    """{account id: when the return window of the customer's last counted order still inside
    it closes}, in one query, for the metrics that count orders at once (spent, orders); an
    account whose tier owes nothing to such an order is left out. (Points count only once
    released, after the window.)"""
    days = settings.LOYALTY_HOLD_DAYS
    if program.tier_metric == program.TierMetric.POINTS or days <= 0 or not accounts:
        return {}
    newest = dict(Order.objects.filter(
        customer_id__any=[account.customer_id for account in accounts],
        cancelled_at__isnull=True, paid_at__gt=now - dt.timedelta(days=days))
        .values("customer_id").annotate(newest=Max("paid_at"))
        .values_list("customer_id", "newest"))
    return {account.pk: newest[account.customer_id] + dt.timedelta(days=days)
            for account in accounts if account.customer_id in newest}


def tiers_withdraw_for_refunds(*, customers: list[Customer],
                               now: dt.datetime | None = None) -> list[TierChange]:
    """After refunds or cancellations: a customer whose tier is still held (reached with an
    order inside its return window) and who no longer qualifies for it goes back down to
    the tier they qualify for now (reason `refunded`, on their timeline), and the held entry
    points and gifts of the tiers they leave are withdrawn. A tier reached for good (its
    window closed) is kept, as always, until re-evaluation. Returns the changes."""
    now = now or timezone.now()
    ids = list(LoyaltyAccount.objects.filter(
        customer__any=[c.pk for c in customers], tier_held_until__gt=now)
        .values_list("pk", flat=True))
    if not ids:
        return []
    program = program_get()
    tiers = tiers_get()
    window = q.period_window(period=program.tier_period, now=now)
    changes = []
    with transaction.atomic():
        accounts = _locked(ids)
        values = q.qualifying_values(metric=program.tier_metric, window=window,
                                     account_ids=ids)
        for account in accounts:
            value = values.get(account.pk, q.ZERO)
            target = q.best(q.tier_for_value(value=value, tiers=tiers),
                            _manual_floor(account, now))
            if rank(target) >= rank(account.tier):
                continue
            for tier in tiers:
                if rank(target) < rank(tier) <= rank(account.tier):
                    _entry_rewards_withdraw(account, tier, now)
            change = _move(account, target, reason=Reason.REFUNDED, now=now, program=program,
                           value=value)
            if change:
                changes.append(change)
    return changes


def _entry_rewards_withdraw(account: LoyaltyAccount, tier: Tier, now: dt.datetime) -> None:
    """Take back a tier's held entry points (what is left of them) and cancel its unused
    gift voucher, once."""
    from .reversals import earn_reverse
    from .rewards import voucher_cancel

    key = _entry_key(tier, account)
    bonus = PointsEntry.objects.filter(key=key).first()
    if bonus is not None:
        lot = PointsLot.objects.select_for_update().get(entry=bonus)
        if lot.is_held:
            earn_reverse(bonus, lot, key=f"{key}:withdrawn", points=lot.remaining)
    gift = Redemption.objects.filter(account=account, client_key=key,
                                     status=Redemption.Status.ISSUED,
                                     held_until__gt=now).first()
    if gift is not None:
        voucher_cancel(redemption=gift, now=now)


def _manual_floor(account: LoyaltyAccount, now: dt.datetime) -> Tier | None:
    if account.manual_tier_id and account.manual_tier_until and account.manual_tier_until > now:
        return account.manual_tier
    return None


def _locked(account_ids) -> list[LoyaltyAccount]:
    """Lock the accounts (in id order, as every ledger write does), then read them afresh:
    a row read while waiting for a lock may be older than the change that held it."""
    ids = list(LoyaltyAccount.objects.select_for_update().filter(pk__any=list(account_ids))
               .order_by("pk").values_list("pk", flat=True))
    return list(LoyaltyAccount.objects.select_related("tier", "manual_tier", "customer")
                .filter(pk__any=ids).order_by("pk"))


def tiers_promote(*, account_ids, now: dt.datetime | None = None,
                  reason: str = Reason.QUALIFIED) -> list[TierChange]:
    """Move these accounts up to the best tier they qualify for now (or their manual floor),
    at once. Never moves anyone down. Called after points become available (awarded or
    released) and after an order is paid; safe to call any number of times."""
    account_ids = list(account_ids)
    if not tiers_get() or not account_ids:
        return []
    with transaction.atomic():
        return tiers_promote_locked(_locked(account_ids), now=now, reason=reason)


def tiers_promote_locked(accounts: list[LoyaltyAccount], *, now: dt.datetime | None = None,
                         reason: str = Reason.QUALIFIED) -> list[TierChange]:
    """`tiers_promote` for accounts the caller holds locked, read after locking (with their
    tier, manual tier and customer). What they qualify for is read in one query, except
    where it is known without: nothing for an account already in the top tier (promoting
    never moves anyone down), and the points metric of an account opened in this
    transaction, from the entries posted to it since."""
    tiers = tiers_get()
    top = max(map(rank, tiers), default=0)
    climbing = [account for account in accounts if rank(account.tier) < top]
    if not climbing:
        return []
    now = now or timezone.now()
    program = program_get()
    window = q.period_window(period=program.tier_period, now=now)
    values = {}
    for account in climbing:
        entries = opened_entries(account)
        value = None if entries is None else q.opened_account_value(
            metric=program.tier_metric, window=window, entries=entries)
        if value is not None:
            values[account.pk] = value
    unknown = [account.pk for account in climbing if account.pk not in values]
    if unknown:
        # Read after locking, so what concurrent writers committed is counted.
        values |= q.qualifying_values(metric=program.tier_metric, window=window,
                                      account_ids=unknown)
    moves = []
    for account in climbing:
        value = values.get(account.pk, q.ZERO)
        target = q.best(q.tier_for_value(value=value, tiers=tiers), _manual_floor(account, now))
        if rank(target) > rank(account.tier):
            moves.append((account, target, value))
    return _moves_apply(moves, reason=reason, now=now, program=program)


def tiers_promote_customer(*, customer: Customer | None,
                           now: dt.datetime | None = None) -> list[TierChange]:
    """`tiers_promote` for one customer (after their order was paid); guests have no tier."""
    if customer is None or not tiers_get():
        return []
    with transaction.atomic(savepoint=False):  # nothing to undo halfway: no savepoint
        return tiers_promote_locked([account_locked(customer)], now=now)


def _all_account_ids():
    last = 0
    while True:
        ids = list(LoyaltyAccount.objects.filter(pk__gt=last).order_by("pk")
                   .values_list("pk", flat=True)[:BATCH])
        if not ids:
            return
        yield ids
        last = ids[-1]


def tiers_reevaluate(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The re-evaluation at period end: every account goes to the best of the tier it
    qualifies for (in the current period or the one that just ended) and its manual floor.
    Moving down happens only once `tier_kept_until` has passed (the retention period after
    the last move up, or a manual tier's end). Manual tiers past their end are cleared.
    Running it twice changes nothing the second time. Returns {"up": n, "down": n}."""
    now = now or timezone.now()
    tiers = tiers_get()
    program = program_get()
    current = q.period_window(period=program.tier_period, now=now)
    ended = q.ended_window(period=program.tier_period, now=now)
    counts = {"up": 0, "down": 0}
    for ids in _all_account_ids():
        with transaction.atomic():
            accounts = _locked(ids)
            values = q.qualifying_values(metric=program.tier_metric, window=current,
                                         account_ids=ids)
            before = (q.qualifying_values(metric=program.tier_metric, window=ended,
                                          account_ids=ids) if ended else {})
            moves = []
            for account in accounts:
                value = max(values.get(account.pk, q.ZERO), before.get(account.pk, q.ZERO))
                floor = _manual_floor(account, now)
                if account.manual_tier_id and floor is None:
                    account.manual_tier = None
                    account.manual_tier_until = None
                    account.save(update_fields=["manual_tier", "manual_tier_until"])
                target = q.best(q.tier_for_value(value=value, tiers=tiers), floor)
                kept = account.tier_kept_until is not None and account.tier_kept_until > now
                if rank(target) == rank(account.tier) or (
                        rank(target) < rank(account.tier) and kept):
                    continue
                moves.append((account, target, value))
            for change in _moves_apply(moves, reason=Reason.RE_EVALUATION, now=now,
                                       program=program):
                counts["up" if change.is_up else "down"] += 1
    return counts


def tiers_recalculate(*, now: dt.datetime | None = None) -> int:
    """After staff edited the tiers (renamed, moved a threshold, added or removed one): move
    up everyone who now qualifies for a better tier, and bring the profile's tier name up to
    date. Nobody moves down here: that waits for the next re-evaluation. Returns the number
    of customers moved up."""
    now = now or timezone.now()
    moved = 0
    for ids in _all_account_ids():
        moved += len(tiers_promote(account_ids=ids, now=now, reason=Reason.TIERS_EDITED))
    for tier in tiers_get():
        stale = Customer.objects.filter(loyalty_account__tier=tier).exclude(
            loyalty_tier=tier.default_name)
        for customer in stale.iterator():
            customer_tier_set(customer=customer, tier=tier.default_name)
    for customer in Customer.objects.filter(loyalty_account__tier__isnull=True).exclude(
            loyalty_tier=""):
        customer_tier_set(customer=customer, tier="")
    return moved


def tiers_recalculate_schedule() -> None:
    """Recalculate members in the background once the current transaction commits."""
    from ..tasks import tiers_recalculate_task

    tiers_recalculate_task.delay_on_commit()


def tier_save(*, tier: Tier) -> Tier:
    """Create or change a tier (validated), then recalculate members in the background."""
    tier.full_clean()
    with transaction.atomic():
        tier.save()
        tiers_recalculate_schedule()
    return tier


def tier_delete(*, tier: Tier, by=None, now: dt.datetime | None = None) -> int:
    """Remove a tier. Its members move to the best remaining tier they qualify for, and never
    below the remaining tier that was under the removed one (if any); each move is recorded
    with reason "tier removed". Others are recalculated in the background. Returns the
    number of members moved."""
    now = now or timezone.now()
    program = program_get()
    window = q.period_window(period=program.tier_period, now=now)
    with transaction.atomic():
        tier = Tier.objects.select_for_update().get(pk=tier.pk)
        remaining = [t for t in tiers_get() if t.pk != tier.pk]
        below = max((t for t in remaining if t.position < tier.position), key=rank,
                    default=None)
        ids = list(LoyaltyAccount.objects.filter(tier=tier).values_list("pk", flat=True))
        accounts = [account for account in _locked(ids) if account.tier_id == tier.pk]
        values = q.qualifying_values(metric=program.tier_metric, window=window,
                                     account_ids=ids)
        moves = []
        for account in accounts:
            value = values.get(account.pk, q.ZERO)
            manual = _manual_floor(account, now)
            if manual is not None and manual.pk == tier.pk:
                manual = None
            target = q.best(q.tier_for_value(value=value, tiers=remaining), below, manual)
            moves.append((account, target, value))
        _moves_apply(moves, reason=Reason.TIER_REMOVED, now=now, program=program, staff=by)
        LoyaltyAccount.objects.filter(manual_tier=tier).update(manual_tier=None,
                                                               manual_tier_until=None)
        tier.delete()
        tiers_recalculate_schedule()
    return len(ids)


def tier_set_manual(*, account: LoyaltyAccount, tier: Tier | None, until: dt.datetime | None,
                    by, reason: str, now: dt.datetime | None = None) -> LoyaltyAccount:
    """Staff give a customer a tier until a date: a floor (they are never below it until
    then, and can still move up). If it is above their tier they move to it now, recorded
    with the staff member and reason. `tier=None` removes the manual tier; the customer keeps
    their tier until the next re-evaluation."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    errors = {}
    if by is None or not by.is_staff:
        raise FlywheelError(_("Only staff can set a manual tier."), code="staff_required")
    if tier is not None and (until is None or until <= now):
        errors["manual_tier_until"] = _("Give an end date in the future.")
    if not reason:
        errors["reason"] = _("Say why the tier is set by hand.")
    if errors:
        raise FlywheelError(_("The manual tier is not valid."), fields=errors)
    program = program_get()
    with transaction.atomic():
        account = _locked([account.pk])[0]
        account.manual_tier = tier
        account.manual_tier_until = until if tier is not None else None
        if tier is not None:
            account.tier_kept_until = max(filter(None, [account.tier_kept_until, until]))
        account.save(update_fields=["manual_tier", "manual_tier_until", "tier_kept_until"])
        if tier is not None and rank(tier) > rank(account.tier):
            _move(account, tier, reason=Reason.MANUAL, now=now, program=program, staff=by,
                  note=reason)
    return account


def tier_badge_clean(*, file: UploadedFile, name: str = "") -> ContentFile:
    """A badge upload checked and re-encoded with Pillow (JPEG, PNG, WebP or GIF up to 2 MB
    and 40 megapixels; anything else is a clear invalid_image error), resized to fit
    256x256 pixels as WebP with its metadata removed."""
    clean = image_clean(file=file, max_bytes=BADGE_MAX_BYTES, thumbnail_size=BADGE_SIZE)
    return ContentFile(clean.thumbnail, name=f"{slugify(name) or 'badge'}.webp")
