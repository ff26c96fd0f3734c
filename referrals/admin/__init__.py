"""Staff tools of the advocacy app. Referral admin lives in `referrals.py`."""

# NPS surveys: their admin lives in referrals/nps/admin.py.
from referrals.nps import admin as nps_admin  # noqa: F401

from . import referrals  # noqa: F401
