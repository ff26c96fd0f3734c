"""The signed-in shopper: the login's customer profile, unless it was erased. Every shopper
page and /me/ API finds the shopper here, so the rule is written once.

- `signed_in_customer(request)` for pages that also serve visitors: the customer, or None.
- `shopper_page_required(request)` for pages only a shopper has: a 404 otherwise.
- `shopper_required(request)` (and kernel.api.ShopperApi) for the API: the `no_customer` error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import Http404

from kernel.errors import NO_CUSTOMER, NoCustomer

if TYPE_CHECKING:
    from customers.models import Customer


def login_customer(user) -> Customer | None:
    """The login's customer profile; None for no login, a login without one, or an erased one."""
    if user is None or not user.is_authenticated:
        return None
    customer = getattr(user, "customer", None)  # the reverse one-to-one, when there is one
    if customer is None or customer.erased_at is not None:
        return None
    return customer


def signed_in_customer(request) -> Customer | None:
    return login_customer(getattr(request, "user", None))


def shopper_required(request) -> Customer:
    customer = signed_in_customer(request)
    if customer is None:
        raise NoCustomer()
    return customer


def shopper_page_required(request) -> Customer:
    customer = signed_in_customer(request)
    if customer is None:
        raise Http404(NO_CUSTOMER)
    return customer
