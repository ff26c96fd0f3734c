"""Staff tools of the advocacy app. Referral admin lives in `referrals.py`."""

from . import referrals  # noqa: F401
