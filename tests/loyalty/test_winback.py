"""Win-back offers and segment audiences: loyalty acting on what segments know."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from customers import services as customer_services
from customers.models import Activity, CustomerScore, Stage
from loyalty import services
from loyalty.errors import RewardUnavailable
from loyalty.models import LoyaltyProgram, PointsEntry, Redemption
from tests.conftest import at
from tests.factories import (
    ActivityRuleFactory,
    CustomerFactory,
    EarningRuleFactory,
    OrderFactory,
    RewardFactory,
    SegmentRuleFactory,
)
from tests.loyalty.conftest import audit, customer_with

pytestmark = pytest.mark.django_db
START = at("2026-03-01T09:00:00Z")


@pytest.fixture
def winback_reward():
    reward = RewardFactory(name="Come back: €10 off", amount=Decimal("10.00"))
    program = LoyaltyProgram.get()
    program.winback_reward = reward
    program.winback_every_days = 90
    program.save()
    return reward


def one_time_buyer(**fields):
    customer = CustomerFactory(accepts_marketing=True, **fields)
    OrderFactory(customer=customer, placed_at=START)
    customer_services.customer_stats_refresh(customer=customer)
    return customer


def offers(customer) -> list[Redemption]:
    return list(Redemption.objects.filter(account__customer=customer))


def test_becoming_at_risk_sends_one_winback_voucher_by_email(
        winback_reward, django_capture_on_commit_callbacks):
    customer = one_time_buyer(email="drifting@example.com", first_name="Mia")
    with time_machine.travel(START, tick=False) as traveller:
        customer_services.segments_recompute()
        traveller.shift(dt.timedelta(days=121))
        with django_capture_on_commit_callbacks(execute=True):
            customer_services.segments_recompute()  # first_time -> at_risk
            customer_services.segments_recompute()  # a rerun sends nothing more

    [voucher] = offers(customer)
    assert voucher.reward == winback_reward and voucher.points == 0
    [sent] = Activity.objects.filter(customer=customer, kind=Activity.Kind.WINBACK_SENT)
    assert sent.data["code"] == voucher.code
    [email] = mail.outbox
    assert email.to == ["drifting@example.com"]
    assert voucher.code in email.body and "Mia" in email.body
    assert voucher.code in email.alternatives[0][0]
    audit()


def test_at_most_one_offer_per_period(winback_reward, django_capture_on_commit_callbacks):
    customer = one_time_buyer()
    with (time_machine.travel(START + dt.timedelta(days=121), tick=False) as traveller,
          django_capture_on_commit_callbacks(execute=True)):
        services.winback_offer(customer=customer)
        traveller.shift(dt.timedelta(days=30))
        assert services.winback_offer(customer=customer) is None
        traveller.shift(dt.timedelta(days=61))
        assert services.winback_offer(customer=customer) is not None
    assert len(offers(customer)) == 2
    assert len(mail.outbox) == 2


def test_no_consent_or_no_reward_means_no_offer(winback_reward):
    quiet = one_time_buyer(email="quiet@example.com")
    quiet.accepts_marketing = False
    quiet.save()
    assert services.winback_offer(customer=quiet) is None
    program = LoyaltyProgram.get()
    program.winback_reward = None
    program.save()
    assert services.winback_offer(customer=one_time_buyer()) is None
    assert Redemption.objects.count() == 0


def test_only_becoming_at_risk_earns_an_offer(winback_reward):
    from customers.signals import StageChange

    customer = one_time_buyer()
    assert services.winback_for_stage_changes(
        changes=[StageChange(customer, Stage.FIRST_TIME, Stage.LAPSED)]) == []
    assert len(services.winback_for_stage_changes(
        changes=[StageChange(customer, Stage.FIRST_TIME, Stage.AT_RISK)])) == 1


def test_an_order_arriving_for_an_at_risk_customer_wins_them_back_at_once(winback_reward):
    customer = one_time_buyer()
    with time_machine.travel(START + dt.timedelta(days=130), tick=False):
        customer_services.segments_recompute()
        OrderFactory(customer=customer, external_id="comeback", placed_at=timezone.now())
        assert CustomerScore.objects.get(customer=customer).stage == Stage.AT_RISK
        customer_services.customer_stage_refresh(customer=customer)
    assert CustomerScore.objects.get(customer=customer).stage == Stage.WON_BACK


# Audiences


def test_an_earning_rule_with_an_audience_awards_only_its_members():
    gold = SegmentRuleFactory(field="tier", value="Gold").segment
    ActivityRuleFactory(points=50)
    ActivityRuleFactory(points=200, audience=gold)
    member, other = CustomerFactory(loyalty_tier="Gold"), CustomerFactory()

    for customer in (member, other):
        customer_services.activity_record(customer=customer, kind="quiz_completed")

    earned = dict(PointsEntry.objects.values_list("account__customer__email", "amount"))
    assert earned == {member.email: 200, other.email: 50}


def test_an_order_rule_with_an_audience_skips_outsiders():
    vip = SegmentRuleFactory(field="tier", value="Gold").segment
    EarningRuleFactory(audience=vip)
    outsider = CustomerFactory()
    order = OrderFactory(customer=outsider, total=Decimal("80.00"))
    assert services.points_award_for_order(order=order) is None


def test_a_reward_with_an_audience_is_refused_to_outsiders():
    gold = SegmentRuleFactory(field="tier", value="Gold").segment
    reward = RewardFactory(audience=gold, cost=100)
    member = customer_with(500, loyalty_tier="Gold")
    outsider = customer_with(500)

    assert services.redemption_create(customer=member, reward=reward).points == 100
    with pytest.raises(RewardUnavailable) as refused:
        services.redemption_create(customer=outsider, reward=reward)
    assert refused.value.code == "reward_not_for_you"
    assert not Redemption.objects.filter(account__customer=outsider).exists()
    audit()


def test_staff_give_a_rule_an_audience_in_admin_and_its_version_goes_up(admin_client):
    gold = SegmentRuleFactory(field="tier", value="Gold").segment
    rule = EarningRuleFactory()
    response = admin_client.post(f"/admin/loyalty/earningrule/{rule.pk}/change/", {
        "name_en": rule.name, "kind": "order", "points_per_unit": "1", "points": "0",
        "multiplier": "1", "cap_period": "ever", "is_active": "on", "preview_days": "30",
        "audience": gold.pk})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.audience == gold and rule.version == 2


@pytest.mark.usefixtures("inserted_not_copied")
def test_a_batch_of_at_risk_customers_is_offered_in_a_fixed_number_of_statements(
        winback_reward, django_capture_on_commit_callbacks):
    """A recompute moves many customers at once: the offers cost the same statements for 20
    as for one, each customer gets their own voucher and email, and a limited stock gives out
    in the order the customers came, never below zero."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from customers.signals import StageChange

    def move(customers):
        # The emails (one per customer, on the email queue) are sent after the count: the
        # inner context ends first.
        with (django_capture_on_commit_callbacks(execute=True),
              CaptureQueriesContext(connection) as queries):
            given = services.winback_for_stage_changes(changes=[
                StageChange(c, Stage.FIRST_TIME, Stage.AT_RISK) for c in customers])
        return given, len(queries)

    move([CustomerFactory(accepts_marketing=True)])  # singletons read or made once, memoised
    given, alone = move([CustomerFactory(accepts_marketing=True)])
    batch = [CustomerFactory(accepts_marketing=True, email=f"r{n}@example.com")
             for n in range(20)]
    given_many, twenty = move(batch)
    assert len(given) == 1 and len(given_many) == 20
    assert twenty == alone
    assert {r.account.customer_id for r in given_many} == {c.pk for c in batch}
    assert len({r.code for r in given_many}) == 20
    assert sorted(m.to[0] for m in mail.outbox[2:]) == sorted(c.email for c in batch)
    assert move(batch)[0] == []  # within the period: nothing more

    winback_reward.stock = 2
    winback_reward.save()
    late = [CustomerFactory(accepts_marketing=True) for _ in range(3)]
    assert [r.account.customer_id for r in move(late)[0]] == [c.pk for c in late[:2]]
    winback_reward.refresh_from_db()
    assert winback_reward.stock == 0
    audit()
