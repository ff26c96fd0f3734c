"""Reads of the advocacy app. Referral reads live in `referrals.py`; NPS has its own module."""

from .referrals import (  # noqa: F401
    advocate_leaderboard,
    program_stats,
    referral_code_find,
    referral_export,
    referral_list_for_customer,
    referral_share_get,
    referral_signed_up,
    referrer_stats,
)
