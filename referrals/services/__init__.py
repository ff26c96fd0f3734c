"""Every write of the advocacy app. Referral services live in `referrals.py` (fraud checks in
`fraud.py`); NPS has its own module. Import as `from referrals import services`."""

from .referrals import (  # noqa: F401
    referral_approve,
    referral_click_record,
    referral_code_get_or_create,
    referral_convert_for_order,
    referral_owner_seen,
    referral_personal_data_erase,
    referral_refund,
    referral_reject,
    referral_reward,
    referral_signup,
    referrals_convert_for_orders,
    referrals_refund,
    referrals_reward_due,
    share_card_png,
)
