"""A customer's loyalty account, found or created, and locked for a change of points or tier.

Every paid order and every activity that earns reaches `account_locked`: one statement for a
customer who has an account, two for a new customer (an insert that leaves a twin inserted
meanwhile alone, then the lock). The tiers come from the program's configuration (read once
per batch of deliveries) and the customer is the caller's, so neither is read again."""

from customers.models import Customer

from ..models import LoyaltyAccount
from .program import tiers_get


def loyalty_account_get_or_create(*, customer: Customer) -> LoyaltyAccount:
    """The customer's account; created with zero points the first time it is needed."""
    account, _created = LoyaltyAccount.objects.get_or_create(customer=customer)
    return account


def _create(customer: Customer) -> None:
    """INSERT ... ON CONFLICT DO NOTHING: a twin inserted meanwhile by another transaction is
    kept, and the caller's transaction goes on (no savepoint needed)."""
    LoyaltyAccount.objects.bulk_create([LoyaltyAccount(customer=customer)],
                                       ignore_conflicts=True)


def account_locked(customer: Customer, *, likely_new: bool = False) -> LoyaltyAccount:
    """The customer's account, created with zero points if need be, row-locked until the
    transaction ends so changes to it apply one after the other. `likely_new` (a customer
    created just now) creates it before looking, which saves the look when it is missing.

    Only the account row is read under the lock (a row read while waiting for a lock is its
    newest version; rows joined to it might not be): its tier and manual tier are attached
    from `tiers_get()` and its customer is `customer`."""
    if likely_new:
        _create(customer)
    locking = LoyaltyAccount.objects.select_for_update().filter(customer_id=customer.pk)
    account = locking.first()
    if account is None:
        _create(customer)
        account = locking.first()
    account.customer = customer
    if account.tier_id or account.manual_tier_id:
        tiers = {tier.pk: tier for tier in tiers_get()}
        for field in ("tier", "manual_tier"):
            tier_id = getattr(account, f"{field}_id")
            if tier_id in tiers:  # else (a tier added since) Django reads it if asked
                setattr(account, field, tiers[tier_id])
    return account

