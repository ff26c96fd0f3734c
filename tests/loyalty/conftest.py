"""Loyalty test helpers: a customer with points, and the ledger audit as an assertion."""

from io import StringIO

from django.core.management import CommandError, call_command

from loyalty import services
from tests.factories import CustomerFactory


def customer_with(points: int, **fields):
    """A customer holding `points` available points (a welcome bonus)."""
    customer = CustomerFactory(**fields)
    services.points_award(customer=customer, points=points, key=f"welcome:{customer.pk}")
    return customer


def audit() -> str:
    """Run `manage.py loyalty_audit`; fail the test with its findings if the ledger is broken."""
    out, err = StringIO(), StringIO()
    try:
        call_command("loyalty_audit", stdout=out, stderr=err)
    except CommandError as error:
        raise AssertionError(f"{error}\n{err.getvalue()}") from error
    return out.getvalue()
