"""The shop the ingestion benchmark runs against. `BENCH_SHOP=loyalty` gives it what a real
shop has switched on, so every order does its full work: points per euro spent, welcome points,
two tiers to be promoted through and a referral program (in its own database,
flywheel_bench_loyalty, so the default shop stays bare).

Run by the benchmark's stack with `manage.py shell -c "from tests.benchmarks.shop import
loyalty_shop; loyalty_shop()"`; running it twice changes nothing."""

from decimal import Decimal


def loyalty_shop() -> None:
    from loyalty.models import EarningRule, LoyaltyProgram, Reward, Tier
    from referrals.models import ReferralProgram

    LoyaltyProgram.get()
    EarningRule.objects.get_or_create(name="One point per euro", defaults={
        "kind": "order", "points_per_unit": Decimal("1")})
    EarningRule.objects.get_or_create(name="Welcome", defaults={
        "kind": "activity", "activity_kind": "customer_created", "points": 10,
        "points_per_unit": Decimal("0")})
    Tier.objects.get_or_create(name="Member", defaults={"position": 1, "threshold": 0})
    Tier.objects.get_or_create(name="Gold", defaults={"position": 2, "threshold": 500})
    reward, _ = Reward.objects.get_or_create(name="10% off your first order", defaults={
        "kind": "percent_off", "percent": 10, "cost": 1000, "currency": ""})
    ReferralProgram.objects.get_or_create(id=1, defaults={"friend_reward": reward})
