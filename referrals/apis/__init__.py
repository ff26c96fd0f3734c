"""The advocacy API. Referral endpoints live in `referrals.py`."""
