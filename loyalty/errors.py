"""Errors the loyalty services raise; each has a stable code the API shows."""

from django.utils.translation import gettext as _

from customers.errors import FlywheelError


class InsufficientPoints(FlywheelError):
    """Not enough available points: the balance is below the cost, or negative after a refund."""

    code = "insufficient_points"
    status = 409

    def __init__(self, *, needed: int, available: int | None = None):
        message = _("Not enough points: %(needed)s needed.") % {"needed": needed}
        super().__init__(message, fields={"points": message})
        self.needed = needed
        self.available = available
