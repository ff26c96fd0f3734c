"""Models of the advocacy app. Referrals live in `referrals.py`, NPS in its own module; each
module's public models are re-exported here so `from referrals.models import X` works."""

# NPS surveys: their models live in referrals/nps/models.py.
from referrals.nps.models import (  # noqa: F401
    NpsFollowUp,
    NpsInvitation,
    NpsResponse,
    NpsSurvey,
    SurveyContact,
)

from .referrals import (  # noqa: F401
    FlaggedReferral,
    Referral,
    ReferralCheck,
    ReferralClick,
    ReferralCode,
    ReferralProgram,
)
