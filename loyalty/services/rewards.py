"""Rewards and vouchers: spending points on a reward issues a voucher code the shop accepts at
checkout. Every change of points goes through the ledger services."""

import datetime as dt
import secrets

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from customers.models import Customer, Order
from customers.selectors import segment_has_member
from kernel.bulk import insert_new
from kernel.errors import Conflict

from ..errors import (
    RewardOutOfStock,
    RewardUnavailable,
    TierRequired,
    VoucherCancelled,
    VoucherExpired,
    VoucherHeld,
    VoucherNotFound,
    VoucherUsed,
)
from ..models import CODE_LENGTH, PointsEntry, Redemption, Reward, voucher_code_normalize
from ..signals import vouchers_cancelled, vouchers_issued
from .accounts import loyalty_account_get_or_create, loyalty_accounts_get_or_create
from .ledger import points_award, points_spend

# No 0/O, 1/I: a code read aloud or typed from a receipt can't be mistaken.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

Status = Redemption.Status


def voucher_code_generate() -> str:
    """A random code, 60 bits from `secrets`, grouped for reading: ABCD-EFGH-JKLM."""
    return voucher_code_normalize(
        "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)))


def _insert_redemption(**fields) -> Redemption | None:
    """Insert with a fresh code; None when the client key was taken meanwhile."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Redemption.objects.create(code=voucher_code_generate(), **fields)
        except IntegrityError:
            if fields["client_key"] and Redemption.objects.filter(
                account=fields["account"], client_key=fields["client_key"]
            ).exists():
                return None
    raise RuntimeError("Could not draw an unused voucher code.")


def reward_tier_allows(*, reward: Reward, tier) -> bool:
    """Whether a member of `tier` (None: no tier) may redeem the reward (VIP early access)."""
    if reward.min_tier_id is None:
        return True
    return (tier is not None and reward.min_tier is not None
            and tier.position >= reward.min_tier.position)


def _same_request(redemption: Redemption, reward: Reward) -> Redemption:
    if redemption.reward_id != reward.pk:
        raise Conflict(_("This idempotency key was already used for another reward."),
                       code="idempotency_key_reused")
    return redemption


def redemption_create(
    *, customer: Customer, reward: Reward, key: str | None = None,
    now: dt.datetime | None = None,
) -> Redemption:
    """Spend a reward's cost and issue its voucher, all in one transaction.

    Refused when the reward is inactive or outside its window (reward_unavailable), out of
    stock (reward_out_of_stock), for a higher tier than the customer's (tier_required), or not
    affordable, a negative balance included (insufficient_points); a refusal writes nothing.
    The points are debited with the ledger's conditional UPDATE and the stock with
    `stock > 0`, so concurrent redemptions never overspend or oversell. With a client `key`,
    a retry returns the same redemption.
    """
    now = now or timezone.now()
    key = (key or "").strip()
    with transaction.atomic():
        account = loyalty_account_get_or_create(customer=customer)
        if key:
            existing = Redemption.objects.filter(account=account, client_key=key).first()
            if existing:
                return _same_request(existing, reward)
        available = Reward.objects.redeemable(now).filter(pk=reward.pk).first()
        if available is None:
            raise RewardUnavailable(_("This reward is not available now."))
        reward = available
        if reward.stock == 0:
            raise RewardOutOfStock(_("This reward is out of stock."))
        if not reward_tier_allows(reward=reward, tier=account.tier):
            assert reward.min_tier is not None  # only a minimum tier refuses
            raise TierRequired(_("This reward is for %(tier)s members and above.")
                               % {"tier": reward.min_tier.name})
        if reward.audience is not None and not segment_has_member(segment=reward.audience,
                                                                  customer=customer):
            raise RewardUnavailable(_("This reward is not available to you."),
                                    code="reward_not_for_you")
        redemption = _insert_redemption(
            account=account, reward=reward, points=reward.cost, client_key=key,
            expires_at=now + dt.timedelta(days=reward.voucher_valid_days), created_at=now,
        )
        if redemption is None:
            return _same_request(
                Redemption.objects.get(account=account, client_key=key), reward)
        # Points before stock: the same lock order (account, then reward) as voucher_cancel.
        points_spend(account=account, amount=reward.cost,
                     key=f"redemption:{redemption.pk}:redeem", redemption=redemption)
        if reward.stock is not None and not Reward.objects.filter(
            pk=reward.pk, stock__gt=0
        ).update(stock=F("stock") - 1):
            raise RewardOutOfStock(_("This reward is out of stock."))
        _email_voucher_issued(redemption)
        vouchers_issued.send(sender=Redemption, redemptions=[redemption])
    return redemption


def voucher_grant(
    *, customer: Customer, reward: Reward, key: str, now: dt.datetime | None = None,
    notify: bool = True, held_until: dt.datetime | None = None,
) -> Redemption:
    """Issue a reward's voucher as a gift, costing no points: a tier's entry reward, a referred
    friend's welcome voucher, a win-back offer. Once per `key` (derived from the cause, e.g.
    `tier:3:entry`): a second call returns the first voucher. The reward's activity window is
    not checked (staff chose to give it), but its stock is: an empty stock is
    reward_out_of_stock. The "voucher issued" email goes out unless `notify` is False, for
    callers that send their own email with the code (a referral welcome, a win-back offer).
    With `held_until` it can't be used before that time (a tier gift whose order is still in
    its return window)."""
    with transaction.atomic():
        redemption = vouchers_grant(reward=reward, grants=[(customer, key)], now=now,
                                    notify=notify, held_until=held_until)[0]
        if redemption is None:
            raise RewardOutOfStock(_("This reward is out of stock."))
    return redemption


def vouchers_grant(
    *, reward: Reward, grants: list[tuple[Customer, str]], now: dt.datetime | None = None,
    notify: bool = True, held_until: dt.datetime | None = None,
) -> list[Redemption | None]:
    """`voucher_grant` for many (customer, key) pairs at once, in a fixed number of
    statements: the accounts found or opened together, one look for the keys already
    granted, one INSERT of the rest (a fresh code drawn again for the rare one whose code was
    taken), the stock taken once, `vouchers_issued` sent once. Each pair's voucher in order;
    None for those beyond what the stock had left (given in the order of `grants`)."""
    now = now or timezone.now()
    if not grants:
        return []
    with transaction.atomic():
        accounts = loyalty_accounts_get_or_create(customers=[c for c, _key in grants])
        wanted = {(accounts[customer.pk].pk, key): accounts[customer.pk]
                  for customer, key in grants}
        granted = {(r.account_id, r.client_key): r for r in Redemption.objects.filter(
            account__any={account.pk for account in wanted.values()},
            client_key__any={key for _customer, key in grants})}
        new = [pair for pair in wanted if pair not in granted]
        if new and reward.stock is not None:
            left = Reward.objects.select_for_update().values_list("stock", flat=True).get(
                pk=reward.pk) or 0
            new = new[:max(left, 0)]
        expires_at = (held_until or now) + dt.timedelta(days=reward.voucher_valid_days)
        pending = [Redemption(account=wanted[pair], reward=reward, points=0, client_key=pair[1],
                              code=voucher_code_generate(), expires_at=expires_at,
                              created_at=now, held_until=held_until) for pair in new]
        issued = []
        for _attempt in range(5):
            issued += insert_new(pending, key=("account", "client_key"))
            pending = [r for r in pending if r.pk is None]
            if not pending:
                break
            # A key taken by a transaction that committed meanwhile, or (rarely) a code.
            granted |= {(r.account_id, r.client_key): r for r in Redemption.objects.filter(
                account__any={r.account_id for r in pending},
                client_key__any={r.client_key for r in pending})}
            pending = [r for r in pending if (r.account_id, r.client_key) not in granted]
            for redemption in pending:
                redemption.code = voucher_code_generate()
        else:
            raise RuntimeError("Could not draw an unused voucher code.")
        if issued and reward.stock is not None:
            Reward.objects.filter(pk=reward.pk).update(stock=F("stock") - len(issued))
        for redemption in issued:
            granted[(redemption.account_id, redemption.client_key)] = redemption
            if notify:
                _email_voucher_issued(redemption)
        if issued:
            vouchers_issued.send(sender=Redemption, redemptions=issued)
    return [granted.get((accounts[customer.pk].pk, key)) for customer, key in grants]


def _email_voucher_issued(redemption: Redemption) -> None:
    from ..tasks import voucher_issued_email_task

    voucher_issued_email_task.delay_on_commit(redemption.pk)


def _mark_used(redemption: Redemption, *, now: dt.datetime, order_reference: str) -> None:
    redemption.status = Status.USED
    redemption.used_at = now
    redemption.order_reference = order_reference[:200]
    redemption.save(update_fields=["status", "used_at", "order_reference"])


def voucher_use(*, code: str, order_reference: str = "", now: dt.datetime | None = None
                ) -> Redemption:
    """Mark a voucher used at checkout. Using a used voucher again changes nothing and is not an
    error; a cancelled one is refused (voucher_cancelled), so is one past its expiry
    (voucher_expired), and an unknown code is voucher_not_found."""
    now = now or timezone.now()
    with transaction.atomic():
        redemption = (Redemption.objects.select_for_update()
                      .filter(code=voucher_code_normalize(code)).first())
        if redemption is None:
            raise VoucherNotFound(_("No voucher has this code."))
        if redemption.status == Status.USED:
            return redemption
        if redemption.status == Status.CANCELLED:
            raise VoucherCancelled(_("This voucher was cancelled."))
        if redemption.current_status(now) == Status.EXPIRED:
            raise VoucherExpired(_("This voucher has expired."))
        if redemption.current_status(now) == Status.HELD:
            assert redemption.held_until is not None  # held means held until a time
            raise VoucherHeld(_("This voucher can be used from %(date)s, once the return "
                                "window of the order that unlocked it has passed.")
                              % {"date": date_format(redemption.held_until)})
        _mark_used(redemption, now=now, order_reference=order_reference)
    return redemption


def vouchers_use_for_orders(*, orders: list[Order]) -> list[Redemption]:
    """Mark as used the issued vouchers whose codes are in paid orders' discount codes (any
    case or spacing), each on the first of the orders that carries it. The shop already
    accepted them, so nothing here refuses: used, cancelled or unknown codes are left alone,
    and a replayed order changes nothing. One locking read for the whole batch, none when no
    order carries a code (most)."""
    by_code: dict[str, Order] = {}
    for order in orders:
        for code in order.discount_codes or []:
            code = voucher_code_normalize(str(code))
            if code:
                by_code.setdefault(code, order)
    if not by_code:
        return []
    now = timezone.now()
    with transaction.atomic():
        redemptions = list(Redemption.objects.select_for_update()
                           .filter(code__any=by_code, status=Status.ISSUED).order_by("pk"))
        for redemption in redemptions:
            order = by_code[redemption.code]
            _mark_used(redemption, now=now,
                       order_reference=f"{order.source}:{order.external_id}")
    return redemptions


def voucher_cancel(*, redemption: Redemption, now: dt.datetime | None = None) -> Redemption:
    """Cancel an unused voucher: its points come back as a new available lot (a bonus entry
    keyed `redemption:<id>:refund`, so only once) and its stock returns to the reward.
    Cancelling it again changes nothing; a used voucher can't be cancelled (voucher_used)."""
    now = now or timezone.now()
    with transaction.atomic():
        redemption = (Redemption.objects.select_for_update().select_related("account__customer")
                      .get(pk=redemption.pk))
        if redemption.status == Status.CANCELLED:
            return redemption
        if redemption.status == Status.USED:
            raise VoucherUsed(_("This voucher was already used on an order."))
        redemption.status = Status.CANCELLED
        redemption.cancelled_at = now
        redemption.save(update_fields=["status", "cancelled_at"])
        points_award(
            customer=redemption.account.customer, points=redemption.points,
            key=f"redemption:{redemption.pk}:refund", kind=PointsEntry.Kind.BONUS,
            redemption=redemption,  # its reason is worded when read (points_entry_reasons)
        )
        Reward.objects.filter(pk=redemption.reward_id, stock__isnull=False).update(
            stock=F("stock") + 1
        )
        vouchers_cancelled.send(sender=Redemption, redemptions=[redemption])
    return redemption
