"""Every write to loyalty: the points ledger, rewards with their vouchers, and VIP tiers.

Import as `from loyalty import services`; each name below is public."""

from ..earning import rule_applies, rule_points
from .accounts import loyalty_account_get_or_create, loyalty_personal_data_erase
from .earning import (
    paid_order_reward,
    paid_orders_reward,
    points_award_for_activities,
    points_award_for_activity,
    points_award_for_order,
)
from .expiry import points_expire_due, points_expiry_remind, vouchers_expire_due
from .ledger import (
    points_adjust,
    points_award,
    points_release_due,
    points_spend,
)
from .notifications import (
    email_recipient,
    points_earned_emails_send,
    points_expiring_email_send,
    voucher_issued_email_send,
)
from .reversals import (
    points_cancel_for_order,
    points_cancel_for_orders,
    points_reverse_for_activities,
    points_reverse_for_activity,
    points_reverse_for_refund,
    points_reverse_for_refunds,
)
from .rewards import (
    redemption_create,
    reward_tier_allows,
    voucher_cancel,
    voucher_code_generate,
    voucher_grant,
    voucher_use,
    vouchers_use_for_orders,
)
from .rules import (
    birthday_activities_record,
    earning_rule_create,
    earning_rule_update,
)
from .tiers import (
    tier_badge_clean,
    tier_delete,
    tier_save,
    tier_set_manual,
    tiers_promote,
    tiers_promote_customer,
    tiers_recalculate,
    tiers_recalculate_schedule,
    tiers_reevaluate,
    tiers_withdraw_for_refunds,
)
from .winback import winback_for_stage_changes, winback_offer

__all__ = [
    "birthday_activities_record",
    "earning_rule_create",
    "earning_rule_update",
    "email_recipient",
    "loyalty_account_get_or_create",
    "loyalty_personal_data_erase",
    "paid_order_reward",
    "paid_orders_reward",
    "points_adjust",
    "points_award",
    "points_award_for_activities",
    "points_award_for_activity",
    "points_award_for_order",
    "points_cancel_for_order",
    "points_cancel_for_orders",
    "points_earned_emails_send",
    "points_expire_due",
    "points_expiring_email_send",
    "points_expiry_remind",
    "points_release_due",
    "points_reverse_for_activities",
    "points_reverse_for_activity",
    "points_reverse_for_refund",
    "points_reverse_for_refunds",
    "points_spend",
    "redemption_create",
    "reward_tier_allows",
    "rule_applies",
    "rule_points",
    "tier_badge_clean",
    "tier_delete",
    "tier_save",
    "tier_set_manual",
    "tiers_promote",
    "tiers_promote_customer",
    "tiers_recalculate",
    "tiers_recalculate_schedule",
    "tiers_reevaluate",
    "tiers_withdraw_for_refunds",
    "voucher_cancel",
    "voucher_code_generate",
    "voucher_grant",
    "voucher_issued_email_send",
    "voucher_use",
    "vouchers_expire_due",
    "vouchers_use_for_orders",
    "winback_for_stage_changes",
    "winback_offer",
]
