"""Every write to loyalty: the points ledger, and rewards with their vouchers.

Import as `from loyalty import services`; each name below is public."""

from .ledger import (
    activity_rule_get,
    earning_rule_update,
    loyalty_account_get_or_create,
    order_points,
    points_adjust,
    points_award,
    points_award_for_activity,
    points_award_for_order,
    points_release_due,
    points_reverse_for_refund,
    points_spend,
)
from .rewards import (
    redemption_create,
    voucher_cancel,
    voucher_code_generate,
    voucher_grant,
    voucher_use,
    vouchers_use_for_order,
)
from .winback import winback_for_stage_change, winback_offer

__all__ = [
    "activity_rule_get",
    "earning_rule_update",
    "loyalty_account_get_or_create",
    "order_points",
    "points_adjust",
    "points_award",
    "points_award_for_activity",
    "points_award_for_order",
    "points_release_due",
    "points_reverse_for_refund",
    "points_spend",
    "redemption_create",
    "voucher_cancel",
    "voucher_code_generate",
    "voucher_grant",
    "voucher_use",
    "vouchers_use_for_order",
    "winback_for_stage_change",
    "winback_offer",
]
