"""Earning rules: per-unit and fixed points, caps, campaign windows, multipliers, minimum totals,
tier-only rules, versions, a fixed query count, and the admin's save and preview."""

from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.services import activity_record
from kernel.errors import FlywheelError
from loyalty import services
from loyalty.models import EarningRule, LoyaltyAccount, LoyaltyProgram, PointsEntry
from loyalty.selectors import balance_get
from tests.conftest import assert_configuration_read_once_per_batch, at
from tests.factories import (
    ActivityRuleFactory,
    CustomerFactory,
    EarningRuleFactory,
    OrderFactory,
    OrderLineFactory,
    RefundFactory,
    SegmentRuleFactory,
    TierFactory,
)

pytestmark = pytest.mark.django_db

PAID = at("2026-11-06T10:00:00Z")  # a Friday


def paid_order(customer=None, total="100.00", paid=PAID, **kwargs):
    order = OrderFactory(customer=customer or CustomerFactory(), total=Decimal(total),
                         placed_at=paid, paid_at=paid, **kwargs)
    return order, services.points_award_for_order(order=order)


def earned(customer) -> int:
    row = balance_get(customer=customer)
    return row["balance"] + row["pending"]


def member_of(tier, customer=None):
    customer = customer or CustomerFactory()
    account = services.loyalty_account_get_or_create(customer=customer)
    LoyaltyAccount.objects.filter(pk=account.pk).update(tier=tier)
    return customer


def quiz(customer, key):
    return activity_record(customer=customer, kind="quiz_completed", key=key)


# Points per currency unit


def test_points_per_unit_are_counted_on_the_total_after_discounts_rounded_down():
    EarningRuleFactory(points_per_unit=Decimal("1.5"))

    order, entry = paid_order(total="19.99", discount_total=Decimal("5.00"))

    assert entry.amount == 29  # 19.99 * 1.5 = 29.985
    assert balance_get(customer=order.customer)["pending"] == 29


def test_a_refund_takes_back_points_in_proportion_to_the_money():
    EarningRuleFactory(points_per_unit=Decimal("1"))
    order, _ = paid_order(total="100.00")
    refund = RefundFactory(order=order, external_id="r1", amount=Decimal("25.00"))

    services.points_reverse_for_refund(order=order, refund=refund)

    assert balance_get(customer=order.customer)["pending"] == 75


# Several rules: the best one wins, once


def test_a_double_points_weekend_wins_only_within_its_window():
    base = EarningRuleFactory(name="Base", points_per_unit=Decimal("1"))
    weekend = EarningRuleFactory(
        name="Double points weekend", points_per_unit=Decimal("1"), multiplier=Decimal("2"),
        starts_at=at("2026-11-07T00:00:00Z"), ends_at=at("2026-11-09T00:00:00Z"))

    _, friday = paid_order(total="50.00", paid=at("2026-11-06T23:59:00Z"))
    _, saturday = paid_order(total="50.00", paid=at("2026-11-07T12:00:00Z"))
    _, monday = paid_order(total="50.00", paid=at("2026-11-09T00:00:00Z"))

    assert (friday.amount, friday.rule) == (50, base)
    assert (saturday.amount, saturday.rule) == (100, weekend)
    assert (monday.amount, monday.rule) == (50, base)
    assert PointsEntry.objects.filter(kind="earn").count() == 3


def test_an_order_below_the_minimum_total_earns_under_the_other_rule_or_nothing():
    EarningRuleFactory(name="Big baskets", points_per_unit=Decimal("3"),
                       min_order_total=Decimal("80.00"))

    _, small = paid_order(total="79.99")
    _, big = paid_order(total="80.00")

    assert small is None
    assert big.amount == 240


def test_an_inactive_rule_earns_nothing():
    EarningRuleFactory(is_active=False)

    order, entry = paid_order()

    assert entry is None
    assert earned(order.customer) == 0


# Tiers


def test_a_tier_only_rule_earns_only_for_its_members():
    gold = TierFactory(name="Gold", position=2, threshold=500)
    silver = TierFactory(name="Silver", position=1, threshold=100)
    rule = EarningRuleFactory(name="Gold bonus", points_per_unit=Decimal("2"))
    rule.tiers.set([gold])

    _, outsider = paid_order(customer=CustomerFactory())
    _, silver_member = paid_order(customer=member_of(silver))
    _, gold_member = paid_order(customer=member_of(gold))

    assert outsider is None and silver_member is None
    assert gold_member.amount == 200


def test_the_tier_multiplier_applies_on_top_of_the_rule_and_rounds_down():
    gold = TierFactory(name="Gold", position=2, threshold=500, earn_multiplier=Decimal("1.5"))
    EarningRuleFactory(points_per_unit=Decimal("1"), multiplier=Decimal("2"))

    _, entry = paid_order(customer=member_of(gold), total="10.33")

    assert entry.amount == 30  # 10.33 * 2 * 1.5 = 30.99


def test_the_tier_multiplier_applies_to_activity_points_too():
    gold = TierFactory(name="Gold", position=2, threshold=500, earn_multiplier=Decimal("1.25"))
    ActivityRuleFactory(points=50)
    customer = member_of(gold)

    quiz(customer, "quiz:1")

    assert balance_get(customer=customer)["balance"] == 62


# Caps


def test_a_once_ever_rule_awards_once_per_customer():
    ActivityRuleFactory(activity_kind="account_created", points=100, cap_count=1,
                        cap_period="ever")
    customer = CustomerFactory()

    activity_record(customer=customer, kind="account_created", key="a1")
    activity_record(customer=customer, kind="account_created", key="a2")
    activity_record(customer=CustomerFactory(), kind="account_created", key="a3")

    assert balance_get(customer=customer)["balance"] == 100
    assert PointsEntry.objects.filter(kind="earn").count() == 2


def test_a_per_day_cap_opens_again_the_next_day():
    ActivityRuleFactory(activity_kind="review_written", points=10, cap_count=2,
                        cap_period="day")
    customer = CustomerFactory()

    with time_machine.travel(at("2026-11-06T09:00:00Z"), tick=False):
        for n in range(3):
            activity_record(customer=customer, kind="review_written", key=f"r{n}")
    assert balance_get(customer=customer)["balance"] == 20

    with time_machine.travel(at("2026-11-07T09:00:00Z"), tick=False):
        activity_record(customer=customer, kind="review_written", key="r3")
    assert balance_get(customer=customer)["balance"] == 30


@pytest.mark.parametrize(("period", "later", "earns_again"), [
    ("week", "2026-11-08T09:00:00Z", False),   # Sunday, same week as Friday
    ("week", "2026-11-09T09:00:00Z", True),    # Monday
    ("month", "2026-11-30T09:00:00Z", False),
    ("month", "2026-12-01T09:00:00Z", True),
    ("year", "2026-12-31T09:00:00Z", False),
    ("year", "2027-01-01T09:00:00Z", True),
])
def test_calendar_caps(period, later, earns_again):
    ActivityRuleFactory(activity_kind="social_follow", points=10, cap_count=1,
                        cap_period=period)
    customer = CustomerFactory()
    with time_machine.travel(PAID, tick=False):
        activity_record(customer=customer, kind="social_follow", key="f1")

    with time_machine.travel(at(later), tick=False):
        activity_record(customer=customer, kind="social_follow", key="f2")

    assert balance_get(customer=customer)["balance"] == (20 if earns_again else 10)


def test_when_the_best_rule_is_capped_the_next_best_applies():
    EarningRuleFactory(name="Base", points_per_unit=Decimal("1"))
    first = EarningRuleFactory(name="First order triple", points_per_unit=Decimal("3"),
                               cap_count=1, cap_period="ever")
    customer = CustomerFactory()

    _, one = paid_order(customer=customer, total="10.00")
    _, two = paid_order(customer=customer, total="10.00")

    assert (one.amount, one.rule) == (30, first)
    assert (two.amount, two.rule.name) == (10, "Base")


# Versions


def test_changing_a_rule_only_affects_what_happens_afterwards():
    rule = EarningRuleFactory(points_per_unit=Decimal("1"))
    customer = CustomerFactory()
    _, before = paid_order(customer=customer, total="10.00")

    services.earning_rule_update(rule=rule, points_per_unit=Decimal("2"))
    _, after = paid_order(customer=customer, total="10.00")

    before.refresh_from_db()
    assert (before.amount, before.rule_version) == (10, 1)
    assert (after.amount, after.rule_version) == (20, 2)


def test_saving_a_rule_unchanged_keeps_its_version_and_tiers_count_as_a_change():
    gold = TierFactory(name="Gold", position=1, threshold=0)
    rule = EarningRuleFactory()

    same = services.earning_rule_update(rule=rule, name=rule.name, tiers=[])
    moved = services.earning_rule_update(rule=rule, tiers=[gold])

    assert same.version == 1
    assert moved.version == 2
    assert list(moved.tiers.all()) == [gold]


def test_an_invalid_change_is_refused_and_writes_nothing():
    rule = EarningRuleFactory()

    with pytest.raises(FlywheelError) as error:
        services.earning_rule_update(rule=rule, starts_at=at("2026-11-09T00:00:00Z"),
                                     ends_at=at("2026-11-07T00:00:00Z"))

    assert error.value.code == "invalid_rule"
    assert "ends_at" in error.value.fields
    rule.refresh_from_db()
    assert (rule.version, rule.starts_at) == (1, None)


# A fixed number of queries


def _order_with_lines(n):
    customer = CustomerFactory()
    services.loyalty_account_get_or_create(customer=customer)
    order = OrderFactory(customer=customer, total=Decimal("250.00"), placed_at=PAID,
                         paid_at=PAID)
    for i in range(n):
        OrderLineFactory(order=order, sku=f"SKU-{i}")
    return customer, order


def _rules(n, tiers):
    for i in range(n):
        rule = EarningRuleFactory(name=f"Rule {i}", points_per_unit=Decimal(1 + i % 3),
                                  cap_count=None if i % 2 else 5, cap_period="month",
                                  min_order_total=Decimal(i))
        rule.tiers.set(tiers[: i % 3])


def test_earning_on_an_order_costs_the_same_queries_whatever_the_rules_and_lines(
        django_assert_num_queries):
    LoyaltyProgram.get()
    tiers = [TierFactory(name=f"T{i}", position=i + 1, threshold=i * 100) for i in range(3)]
    _rules(1, tiers)
    _, small = _order_with_lines(1)
    small = type(small).objects.get(pk=small.pk)
    with CaptureQueriesContext(connection) as one:
        services.points_award_for_order(order=small)

    EarningRule.objects.update(is_active=False)
    _rules(20, tiers)
    customer, big = _order_with_lines(50)
    member_of(tiers[0], customer)
    big = type(big).objects.get(pk=big.pk)
    with django_assert_num_queries(len(one.captured_queries)):
        entry = services.points_award_for_order(order=big)

    assert entry.amount == 750  # the best of 20 rules: 3 points per unit


def test_a_batch_of_orders_reads_the_order_rules_and_their_audience_once():
    LoyaltyProgram.get()
    gold = SegmentRuleFactory(field="tier", value="Gold").segment
    EarningRuleFactory(points_per_unit=Decimal("1"))
    EarningRuleFactory(name="Double for Gold", points_per_unit=Decimal("2"), audience=gold)
    orders = [OrderFactory(customer=CustomerFactory(loyalty_tier="Gold"), total=Decimal("100.00"),
                           placed_at=PAID, paid_at=PAID) for _ in range(11)]

    assert_configuration_read_once_per_batch(
        lambda order: services.points_award_for_order(order=order), orders)

    assert [earned(order.customer) for order in orders] == [200] * 11


def test_outside_a_batch_a_changed_order_rule_counts_from_the_next_order():
    rule = EarningRuleFactory(points_per_unit=Decimal("1"))
    customer = CustomerFactory()

    paid_order(customer, "100.00")
    services.earning_rule_update(rule=rule, points_per_unit=Decimal("3"))
    paid_order(customer, "100.00")

    assert earned(customer) == 100 + 300


# Admin


def rule_form(**overrides):
    data = {"name_en": "One point per euro", "kind": "order", "points_per_unit": "1",
            "points": "0", "multiplier": "1", "cap_period": "ever", "is_active": "on",
            "preview_days": "30"}
    data.update(overrides)
    return data


def test_staff_add_a_rule_with_tiers_in_admin(admin_client):
    gold = TierFactory(name="Gold", position=1, threshold=0)

    response = admin_client.post(reverse("admin:loyalty_earningrule_add"),
                                 rule_form(name_en="Gold double", multiplier="2",
                                           tiers=[gold.pk]))

    assert response.status_code == 302
    rule = EarningRule.objects.get(name="Gold double")
    assert (rule.version, rule.multiplier, list(rule.tiers.all())) == (1, 2, [gold])


def test_saving_a_change_in_admin_goes_through_the_versioning_service(admin_client):
    gold = TierFactory(name="Gold", position=1, threshold=0)
    rule = EarningRuleFactory()

    response = admin_client.post(reverse("admin:loyalty_earningrule_change", args=[rule.pk]),
                                 rule_form(tiers=[gold.pk], cap_count="3",
                                           cap_period="month"))

    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.version, rule.cap_count, list(rule.tiers.all())) == (2, 3, [gold])


def test_a_window_that_ends_before_it_starts_is_a_clear_error_in_admin(admin_client):
    response = admin_client.post(reverse("admin:loyalty_earningrule_add"), rule_form(
        starts_at_0="2026-11-09", starts_at_1="00:00", ends_at_0="2026-11-07",
        ends_at_1="00:00"))

    assert response.status_code == 200
    assert "ends_at" in response.context["adminform"].form.errors
    assert not EarningRule.objects.exists()


def test_the_preview_compares_the_change_with_what_the_rule_awarded(admin_client):
    rule = EarningRuleFactory(points_per_unit=Decimal("1"))
    with time_machine.travel(at("2026-11-20T12:00:00Z"), tick=False):
        paid_order(total="40.00", paid=at("2026-11-18T10:00:00Z"))
        paid_order(total="60.00", paid=at("2026-11-19T10:00:00Z"))
        paid_order(total="500.00", paid=at("2026-09-01T10:00:00Z"))  # outside 30 days

        response = admin_client.post(
            reverse("admin:loyalty_earningrule_change", args=[rule.pk]),
            rule_form(points_per_unit="2", _preview="Preview"))

    assert response.status_code == 200
    preview = response.context["preview"]
    assert (preview.count, preview.current, preview.changed) == (2, 100, 200)
    assert [(row.current, row.changed) for row in preview.rows] == [(60, 120), (40, 80)]
    assert b"+100" in response.content
    rule.refresh_from_db()
    assert (rule.points_per_unit, rule.version) == (1, 1)  # nothing saved yet


def test_the_preview_of_a_tier_restriction_shows_who_would_lose_points(admin_client):
    gold = TierFactory(name="Gold", position=1, threshold=0)
    rule = EarningRuleFactory(points_per_unit=Decimal("1"))
    with time_machine.travel(at("2026-11-20T12:00:00Z"), tick=False):
        paid_order(customer=member_of(gold), total="40.00", paid=at("2026-11-18T10:00:00Z"))
        paid_order(total="60.00", paid=at("2026-11-19T10:00:00Z"))

        response = admin_client.post(
            reverse("admin:loyalty_earningrule_change", args=[rule.pk]),
            rule_form(tiers=[gold.pk], _preview="Preview"))

    preview = response.context["preview"]
    assert (preview.current, preview.changed) == (100, 40)


def test_saving_from_the_preview_page_saves_the_change(admin_client):
    rule = EarningRuleFactory(points_per_unit=Decimal("1"))
    url = reverse("admin:loyalty_earningrule_change", args=[rule.pk])
    preview = admin_client.post(url, rule_form(points_per_unit="3", _preview="Preview"))
    kept = dict(preview.context["kept"])

    response = admin_client.post(url, {**kept, "_save": "Save"})

    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.points_per_unit, rule.version) == (3, 2)


def test_an_invalid_change_previewed_shows_the_form_errors(admin_client):
    rule = EarningRuleFactory()

    response = admin_client.post(
        reverse("admin:loyalty_earningrule_change", args=[rule.pk]),
        rule_form(multiplier="0", _preview="Preview"))

    assert response.status_code == 200
    assert "multiplier" in response.context["adminform"].form.errors


def test_the_rule_list_reads_like_the_rules(admin_client):
    gold = TierFactory(name="Gold", position=1, threshold=0)
    rule = EarningRuleFactory(name="Weekend", multiplier=Decimal("2"), cap_count=1,
                              cap_period="day")
    rule.tiers.set([gold])

    response = admin_client.get(reverse("admin:loyalty_earningrule_changelist"))

    assert response.status_code == 200
    assert b"Gold" in response.content and b"1 per day" in response.content


def test_a_new_activity_rule_can_be_previewed_before_it_exists(admin_client):
    with time_machine.travel(at("2026-11-20T12:00:00Z"), tick=False):
        quiz(CustomerFactory(), "quiz:a")
        quiz(CustomerFactory(), "quiz:b")
        response = admin_client.post(reverse("admin:loyalty_earningrule_add"), rule_form(
            name="Quiz", kind="activity", activity_kind="quiz_completed", points="30",
            points_per_unit="0", _preview="Preview"))

    assert response.status_code == 200
    preview = response.context["preview"]
    assert (preview.count, preview.current, preview.changed) == (2, 0, 60)
    assert not EarningRule.objects.exists()


def test_the_points_a_page_promises_follow_campaigns_and_ignore_tier_only_rules():
    from loyalty.selectors import activity_points_preview

    gold = TierFactory(name="Gold", position=1, threshold=0)
    ActivityRuleFactory(activity_kind="account_created", points=50)
    ActivityRuleFactory(activity_kind="account_created", points=50, multiplier=Decimal("2"),
                        starts_at=at("2026-11-07T00:00:00Z"), ends_at=at("2026-11-09T00:00:00Z"))
    ActivityRuleFactory(activity_kind="account_created", points=500).tiers.set([gold])

    with time_machine.travel(at("2026-11-06T12:00:00Z"), tick=False):
        weekday = activity_points_preview(activity_kind="account_created")
    with time_machine.travel(at("2026-11-07T12:00:00Z"), tick=False):
        weekend = activity_points_preview(activity_kind="account_created")

    assert (weekday, weekend) == (50, 100)
