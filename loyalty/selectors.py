"""Reads of the points ledger, for the API, the pages and the other apps."""

from customers.models import Customer

from .models import LoyaltyAccount


def balance_get(*, customer: Customer) -> dict[str, int]:
    """Available and pending points from the account's cached columns (never summing the
    ledger, so it costs the same for 10 entries or a million). No account yet means zero."""
    row = (LoyaltyAccount.objects.filter(customer=customer)
           .values("balance", "pending").first())
    return row or {"balance": 0, "pending": 0}
