from django.core.management.base import BaseCommand

from referrals.services import referrals_reward_due


class Command(BaseCommand):
    help = ("Reward pending referrals whose hold has passed and expire sign-ups past the "
            "attribution window (the hourly beat task does the same). Safe to run any time.")

    def handle(self, *args, **options):
        rewarded = referrals_reward_due()
        self.stdout.write(self.style.SUCCESS(f"Rewarded {rewarded} referral(s)."))
