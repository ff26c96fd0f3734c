# NPS surveys (referrals/nps/): their models live in that package.
from referrals.nps.models import (  # noqa: F401
    NpsFollowUp,
    NpsInvitation,
    NpsResponse,
    NpsSurvey,
    SurveyContact,
)
