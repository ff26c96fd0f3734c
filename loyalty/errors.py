"""Errors the loyalty services raise; each has a stable code the API shows."""

from django.utils.translation import gettext as _

from kernel.errors import FlywheelError


class InsufficientPoints(FlywheelError):
    """Not enough available points: the balance is below the cost, or negative after a refund."""

    code = "insufficient_points"
    status = 409

    def __init__(self, *, needed: int):
        message = _("Not enough points: %(needed)s needed.") % {"needed": needed}
        super().__init__(message, fields={"points": message})
        self.needed = needed


class RewardUnavailable(FlywheelError):
    """The reward is switched off or outside its availability window."""

    code = "reward_unavailable"
    status = 409


class TierRequired(FlywheelError):
    """The reward is for members of a higher tier (VIP early access)."""

    code = "tier_required"
    status = 409


class RewardOutOfStock(FlywheelError):
    code = "reward_out_of_stock"
    status = 409


class VoucherNotFound(FlywheelError):
    code = "voucher_not_found"
    status = 404


class VoucherExpired(FlywheelError):
    code = "voucher_expired"
    status = 409


class VoucherHeld(FlywheelError):
    code = "voucher_held"
    status = 409


class VoucherCancelled(FlywheelError):
    code = "voucher_cancelled"
    status = 409


class VoucherUsed(FlywheelError):
    """A used voucher can't be cancelled: its points were spent on an order."""

    code = "voucher_used"
    status = 409
