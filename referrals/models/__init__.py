"""Models of the advocacy app. Referrals live in `referrals.py`, NPS in its own module; each
module's public models are re-exported here so `from referrals.models import X` works."""

from .referrals import (  # noqa: F401
    FlaggedReferral,
    Referral,
    ReferralCheck,
    ReferralClick,
    ReferralCode,
    ReferralProgram,
)
