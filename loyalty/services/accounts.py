"""A customer's loyalty account, found or opened, and locked for a change of points or tier.

Every paid order and every activity that earns reaches `account_locked`: one statement for a
customer who has an account, one INSERT (in a savepoint) for a customer created just now,
three for another customer without one. The tiers come from the program's configuration
(read once per batch of deliveries) and the customer is the caller's, so neither is read
again.
"""

from django.db import IntegrityError, transaction

from customers.models import Customer

from ..models import LoyaltyAccount, PointsEntry
from .program import tiers_get


def loyalty_account_get_or_create(*, customer: Customer) -> LoyaltyAccount:
    """The customer's account; created with zero points the first time it is needed."""
    account, _created = LoyaltyAccount.objects.get_or_create(customer=customer)
    return account


def _open(customer: Customer) -> LoyaltyAccount | None:
    """A new account for the customer, or None when it has one (perhaps inserted meanwhile
    by another transaction: the savepoint lets this one go on). Nobody else sees the new row
    before commit, so it needs no lock, and its entries are the ones posted to it from here
    on: they are kept on it, for `opened_entries`."""
    try:
        with transaction.atomic():
            account = LoyaltyAccount.objects.create(customer=customer)
    except IntegrityError:
        return None
    account._opened_entries = []
    return account


def opened_entries(account: LoyaltyAccount) -> list[PointsEntry] | None:
    """Every entry of an account `account_locked` opened in this transaction (so far); None
    for an account that may have others, which are read when they are needed."""
    return getattr(account, "_opened_entries", None)


def account_locked(customer: Customer, *, likely_new: bool = False) -> LoyaltyAccount:
    """The customer's account, opened with zero points if need be, row-locked until the
    transaction ends so changes to it apply one after the other.

    `likely_new` (a customer created just now) opens it before looking, which saves the look
    and tells that the account is new (see `opened_entries`). Otherwise a missing account is
    inserted with ON CONFLICT DO NOTHING (a twin inserted meanwhile is kept), then locked.

    Only the account row is read under the lock (a row read while waiting for a lock is its
    newest version; rows joined to it might not be): its tier and manual tier are attached
    from `tiers_get()` and its customer is `customer`."""
    account = _open(customer) if likely_new else None
    if account is None:
        locking = LoyaltyAccount.objects.select_for_update().filter(customer_id=customer.pk)
        account = locking.first()
        if account is None:
            LoyaltyAccount.objects.bulk_create([LoyaltyAccount(customer=customer)],
                                               ignore_conflicts=True)
            account = locking.first()
    account.customer = customer
    tiers = {tier.pk: tier for tier in tiers_get()}
    for field in ("tier", "manual_tier"):
        tier_id = getattr(account, f"{field}_id")
        if tier_id in tiers:  # else (None, or a tier added since) Django reads it if asked
            setattr(account, field, tiers[tier_id])
    return account
