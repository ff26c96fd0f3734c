"""Customers' loyalty accounts, found or opened, and locked for a change of points or tier.

Every paid order and every activity that earns reaches `accounts_locked`, a batch of them at
once: one INSERT ... ON CONFLICT DO NOTHING for the customers created just now, one SELECT ...
FOR UPDATE (in primary-key order) for the others, and for those without an account one more
INSERT (and a SELECT for any a concurrent transaction opened meanwhile). The tiers come from
the program's configuration (read once per batch of deliveries) and the customers are the
caller's, so neither is read again.
"""

from collections.abc import Collection, Iterable

from customers.models import Customer
from kernel.bulk import insert_new

from ..models import LoyaltyAccount, PointsEntry
from .program import tiers_get


def loyalty_account_get_or_create(*, customer: Customer) -> LoyaltyAccount:
    """The customer's account; created with zero points the first time it is needed."""
    account, _created = LoyaltyAccount.objects.get_or_create(customer=customer)
    return account


def loyalty_accounts_get_or_create(*, customers: Iterable[Customer]
                                   ) -> dict[int, LoyaltyAccount]:
    """{customer id: account} for many customers, unlocked: one look, and for those without
    one, one INSERT (and one look for any another transaction opened meanwhile)."""
    ids = {customer.pk for customer in customers}
    found = {a.customer_id: a for a in LoyaltyAccount.objects.filter(customer_id__any=ids)}
    if missing := [pk for pk in ids if pk not in found]:
        found |= {account.customer_id: account for account in _open(missing)}
        found |= {a.customer_id: a for a in LoyaltyAccount.objects.filter(
            customer_id__any=[pk for pk in missing if pk not in found])}
    return found


def _open(customer_ids: list[int]) -> list[LoyaltyAccount]:
    """New accounts for those customers that have none, with one INSERT ... ON CONFLICT DO
    NOTHING: a twin another transaction inserted is kept (and is not returned). Nobody else
    sees the new rows before commit, so they need no lock, and their entries are the ones
    posted to them from here on: they are kept on them, for `opened_entries`."""
    opened = insert_new([LoyaltyAccount(customer_id=pk) for pk in customer_ids],
                        key=("customer",))
    for account in opened:
        account._opened_entries = []
    return opened


def _lock(customer_ids: list[int]) -> list[LoyaltyAccount]:
    if not customer_ids:
        return []
    return list(LoyaltyAccount.objects.select_for_update()
                .filter(customer_id__any=customer_ids).order_by("pk"))


def opened_entries(account: LoyaltyAccount) -> list[PointsEntry] | None:
    """Every entry of an account `accounts_locked` opened in this transaction (so far); None
    for an account that may have others, which are read when they are needed."""
    return getattr(account, "_opened_entries", None)


def opened_entries_forget(accounts: Iterable[LoyaltyAccount]) -> None:
    """Stop trusting the entries kept on opened accounts: once other services may have
    posted to them through their own copy of the row, the points they have are read."""
    for account in accounts:
        account._opened_entries = None


def accounts_locked(customers: Iterable[Customer], *,
                    likely_new: Collection[int] = ()) -> dict[int, LoyaltyAccount]:
    """{customer id: account} for these customers, each opened with zero points if need be,
    row-locked until the transaction ends so changes to them apply one after the other.

    The customers in `likely_new` (ids of customers created just now) are opened before
    looking, which saves the look and tells that their account is new (see
    `opened_entries`). The others are locked in primary-key order, as every ledger write
    locks accounts, and those still missing are opened.

    Only the account rows are read under the lock (a row read while waiting for a lock is its
    newest version; rows joined to it might not be): their tier and manual tier are attached
    from `tiers_get()` and their customer is the caller's."""
    by_id = {customer.pk: customer for customer in customers}
    found = {account.customer_id: account
             for account in _open([pk for pk in by_id if pk in likely_new])}
    found |= {account.customer_id: account
              for account in _lock([pk for pk in by_id if pk not in found])}
    missing = [pk for pk in by_id if pk not in found]
    if missing:
        found |= {account.customer_id: account for account in _open(missing)}
        # Opened meanwhile by another transaction, which the INSERT waited for.
        found |= {account.customer_id: account
                  for account in _lock([pk for pk in missing if pk not in found])}
    tiers = {tier.pk: tier for tier in tiers_get()}
    for account in found.values():
        account.customer = by_id[account.customer_id]
        for field in ("tier", "manual_tier"):
            tier_id = getattr(account, f"{field}_id")
            if tier_id in tiers:  # else (None, or a tier added since) Django reads it if asked
                setattr(account, field, tiers[tier_id])
    return found


def account_locked(customer: Customer, *, likely_new: bool = False) -> LoyaltyAccount:
    """`accounts_locked` for one customer."""
    return accounts_locked([customer], likely_new=[customer.pk] if likely_new else ())[
        customer.pk]


def loyalty_personal_data_erase(*, customer: Customer) -> int:
    """Forget what staff wrote about an erased customer on their tier moves. Points, vouchers
    and moves stay (the ledger is append-only and the shop's books need them), anonymous once
    the profile is. Returns the moves changed."""
    from ..models import TierChange

    return TierChange.objects.filter(account__customer=customer).exclude(note="").update(note="")
