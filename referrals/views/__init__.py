"""Shopper pages of the advocacy app. Referral pages live in `referrals.py`."""
