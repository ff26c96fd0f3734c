# NPS surveys (referrals/nps): their admin lives in that package.
from referrals.nps import admin as nps_admin  # noqa: F401
