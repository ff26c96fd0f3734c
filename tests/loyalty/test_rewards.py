"""Rewards and vouchers: redeeming spends points once and issues a code; codes are used and
cancelled exactly once."""

import datetime as dt
import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from customers.ingestion.generic import parse_order
from customers.services import order_apply
from kernel.errors import Conflict
from loyalty import services
from loyalty.errors import (
    InsufficientPoints,
    RewardOutOfStock,
    RewardUnavailable,
    VoucherCancelled,
    VoucherExpired,
    VoucherNotFound,
    VoucherUsed,
)
from loyalty.models import PointsEntry, Redemption, Reward
from loyalty.selectors import balance_get, reward_list_available
from tests.conftest import order_event
from tests.factories import (
    CustomerFactory,
    EarningRuleFactory,
    OrderFactory,
    RefundFactory,
    RewardFactory,
)
from tests.loyalty.conftest import audit, customer_with

pytestmark = pytest.mark.django_db


def redeem(customer, reward, **kwargs):
    return services.redemption_create(customer=customer, reward=reward, **kwargs)


def test_redeeming_issues_a_code_and_debits_the_cost():
    customer = customer_with(250)
    reward = RewardFactory(cost=100, voucher_valid_days=30)

    redemption = redeem(customer, reward)

    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}", redemption.code)
    assert redemption.status == "issued"
    assert redemption.points == 100
    assert redemption.expires_at - redemption.created_at == dt.timedelta(days=30)
    assert balance_get(customer=customer)["balance"] == 150
    entry = PointsEntry.objects.get(kind="redeem")
    assert (entry.amount, entry.redemption, entry.key) == (
        -100, redemption, f"redemption:{redemption.pk}:redeem")


def test_two_redemptions_get_different_codes():
    customer = customer_with(300)
    reward = RewardFactory(cost=100)

    codes = {redeem(customer, reward).code for _ in range(3)}

    assert len(codes) == 3


def test_not_enough_points_writes_nothing():
    customer = customer_with(99)
    reward = RewardFactory(cost=100, stock=5)

    with pytest.raises(InsufficientPoints) as error:
        redeem(customer, reward)

    assert error.value.code == "insufficient_points"
    assert not Redemption.objects.exists()
    assert not PointsEntry.objects.filter(kind="redeem").exists()
    assert balance_get(customer=customer)["balance"] == 99
    reward.refresh_from_db()
    assert reward.stock == 5


def test_a_customer_with_no_account_cannot_redeem_and_gets_none():
    customer = CustomerFactory()

    with pytest.raises(InsufficientPoints):
        redeem(customer, RewardFactory(cost=1))

    assert not Redemption.objects.exists()


def test_a_negative_balance_cannot_redeem(settings):
    settings.LOYALTY_HOLD_DAYS = 0
    EarningRuleFactory()
    order = OrderFactory(total=100)
    services.points_award_for_order(order=order)
    customer = order.customer
    redeem(customer, RewardFactory(cost=100))
    services.points_reverse_for_refund(order=order, refund=RefundFactory(order=order, amount=50))
    assert balance_get(customer=customer)["balance"] == -50

    with pytest.raises(InsufficientPoints):
        redeem(customer, RewardFactory(cost=1))


def test_stock_runs_out_with_a_clear_error():
    reward = RewardFactory(cost=10, stock=2)
    customer = customer_with(100)
    redeem(customer, reward)
    redeem(customer, reward)

    with pytest.raises(RewardOutOfStock) as error:
        redeem(customer, reward)

    assert error.value.code == "reward_out_of_stock"
    reward.refresh_from_db()
    assert reward.stock == 0
    assert balance_get(customer=customer)["balance"] == 80
    assert reward not in reward_list_available()


@pytest.mark.parametrize("fields", [
    {"is_active": False},
    {"available_from": timezone.now() + dt.timedelta(days=1)},
    {"available_until": timezone.now() - dt.timedelta(days=1)},
])
def test_an_inactive_or_out_of_window_reward_is_refused(fields):
    reward = RewardFactory(cost=10, **fields)
    customer = customer_with(100)

    with pytest.raises(RewardUnavailable) as error:
        redeem(customer, reward)

    assert error.value.code == "reward_unavailable"
    assert balance_get(customer=customer)["balance"] == 100
    assert reward not in reward_list_available()


def test_the_same_client_key_returns_the_same_redemption():
    customer = customer_with(500)
    reward = RewardFactory(cost=100)

    first = redeem(customer, reward, key="checkout-42")
    again = redeem(customer, reward, key="checkout-42")

    assert again == first
    assert balance_get(customer=customer)["balance"] == 400
    with pytest.raises(Conflict):
        redeem(customer, RewardFactory(cost=50), key="checkout-42")


def test_a_voucher_is_used_once_whatever_the_case_and_twice_is_no_error():
    redemption = redeem(customer_with(100), RewardFactory(cost=100))

    used = services.voucher_use(code=redemption.code.lower().replace("-", " "),
                                order_reference="#1001")
    again = services.voucher_use(code=redemption.code, order_reference="#1002")

    assert (used.status, used.order_reference) == ("used", "#1001")
    assert (again.status, again.order_reference, again.used_at) == (
        "used", "#1001", used.used_at)


def test_expired_cancelled_and_unknown_vouchers_are_refused():
    customer = customer_with(300)
    reward = RewardFactory(cost=100, voucher_valid_days=10)
    expired = redeem(customer, reward, now=timezone.now() - dt.timedelta(days=11))
    cancelled = services.voucher_cancel(redemption=redeem(customer, reward))

    with pytest.raises(VoucherExpired):
        services.voucher_use(code=expired.code)
    with pytest.raises(VoucherCancelled):
        services.voucher_use(code=cancelled.code)
    with pytest.raises(VoucherNotFound):
        services.voucher_use(code="AAAA-BBBB-CCCC")
    assert expired.current_status() == "expired"


def test_cancelling_gives_points_and_stock_back_once():
    customer = customer_with(100)
    reward = RewardFactory(cost=100, stock=1)
    redemption = redeem(customer, reward)

    services.voucher_cancel(redemption=redemption)
    services.voucher_cancel(redemption=redemption)

    redemption.refresh_from_db()
    assert redemption.status == "cancelled"
    assert balance_get(customer=customer)["balance"] == 100
    refunds = PointsEntry.objects.filter(redemption=redemption, amount__gt=0)
    assert [(e.amount, e.key) for e in refunds] == [(100, f"redemption:{redemption.pk}:refund")]
    reward.refresh_from_db()
    assert reward.stock == 1


def test_a_used_voucher_cannot_be_cancelled():
    customer = customer_with(100)
    redemption = redeem(customer, RewardFactory(cost=100))
    services.voucher_use(code=redemption.code)

    with pytest.raises(VoucherUsed):
        services.voucher_cancel(redemption=redemption)

    assert balance_get(customer=customer)["balance"] == 0


def test_a_discount_code_in_a_paid_order_marks_the_voucher_used():
    customer = customer_with(100)
    redemption = redeem(customer, RewardFactory(cost=100))
    other = redeem(customer_with(100), RewardFactory(cost=100))
    event = order_event(discount_codes=[redemption.code.lower(), "SUMMER10"])

    order_apply(event=parse_order(event))
    order_apply(event=parse_order({**event, "updated_at": "2026-11-01T11:00:00Z"}))

    redemption.refresh_from_db()
    other.refresh_from_db()
    assert (redemption.status, redemption.order_reference) == ("used", "generic:1001")
    assert other.status == "issued"


def test_the_audit_passes_after_redemptions_uses_and_cancels():
    customers = [customer_with(500) for _ in range(3)]
    reward = RewardFactory(cost=120, stock=10)
    for customer in customers:
        kept = redeem(customer, reward)
        services.voucher_use(code=kept.code)
        services.voucher_cancel(redemption=redeem(customer, reward))
        redeem(customer, reward)

    audit()
    assert [balance_get(customer=c)["balance"] for c in customers] == [260, 260, 260]
    assert Reward.objects.get().stock == 4


# Staff in admin


def changelist(model: str) -> str:
    return reverse(f"admin:loyalty_{model}_changelist")


def test_each_loyalty_admin_page_opens(admin_client):
    redemption = redeem(customer_with(100), RewardFactory(cost=100))
    EarningRuleFactory()

    for model in ("earningrule", "reward", "loyaltyaccount", "redemption"):
        assert admin_client.get(changelist(model)).status_code == 200
    account = redemption.account
    page = admin_client.get(reverse("admin:loyalty_loyaltyaccount_change", args=[account.pk]))
    assert page.status_code == 200
    assert redemption.code in page.content.decode()


def test_staff_adjust_points_only_with_a_reason(admin_client, admin_user):
    customer = customer_with(10)
    account = customer.loyalty_account
    data = {"action": "adjust_points", ACTION_CHECKBOX_NAME: [account.pk], "apply": "yes",
            "amount": "25"}

    asked = admin_client.post(changelist("loyaltyaccount"), data)
    done = admin_client.post(changelist("loyaltyaccount"), {**data, "reason": "Parcel lost"})

    assert asked.status_code == 200
    assert "reason" in asked.context["form"].errors
    assert done.status_code == 302
    entry = PointsEntry.objects.get(kind="adjust")
    assert (entry.amount, entry.reason, entry.staff) == (25, "Parcel lost", admin_user)
    assert balance_get(customer=customer)["balance"] == 35


def test_staff_cancel_a_voucher_after_confirming(admin_client):
    customer = customer_with(100)
    redemption = redeem(customer, RewardFactory(cost=100))
    data = {"action": "cancel_vouchers", ACTION_CHECKBOX_NAME: [redemption.pk]}

    asked = admin_client.post(changelist("redemption"), data)
    assert balance_get(customer=customer)["balance"] == 0
    done = admin_client.post(changelist("redemption"), {**data, "post": "yes"})

    assert (asked.status_code, done.status_code) == (200, 302)
    redemption.refresh_from_db()
    assert redemption.status == "cancelled"
    assert balance_get(customer=customer)["balance"] == 100


def test_editing_a_rule_in_admin_raises_its_version(admin_client):
    rule = EarningRuleFactory()

    response = admin_client.post(
        reverse("admin:loyalty_earningrule_change", args=[rule.pk]),
        {"name_en": rule.name, "points_per_unit": "2", "is_active": "on", "points": "0",
         "multiplier": "1", "cap_period": "ever"},
    )

    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.points_per_unit, rule.version) == (2, 2)


def test_a_reward_missing_its_kinds_fields_gets_a_clear_error_in_admin(admin_client):
    response = admin_client.post(reverse("admin:loyalty_reward_add"), {
        "name_en": "10% off", "kind": "percent_off", "cost": "200", "is_active": "on",
        "voucher_valid_days": "90",
    })

    assert response.status_code == 200
    assert "percent" in response.context["adminform"].form.errors
    assert not Reward.objects.exists()


def test_a_granted_voucher_costs_nothing_and_is_issued_once_per_key():
    customer = CustomerFactory()
    reward = RewardFactory(cost=500, stock=3)

    first = services.voucher_grant(customer=customer, reward=reward, key="tier:1:entry")
    again = services.voucher_grant(customer=customer, reward=reward, key="tier:1:entry")

    assert again.pk == first.pk
    assert first.points == 0 and first.status == "issued"
    assert balance_get(customer=customer)["balance"] == 0
    reward.refresh_from_db()
    assert reward.stock == 2
