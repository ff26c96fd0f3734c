"""A friend signs up, orders, waits out the hold; the referrer is rewarded, or not."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Activity
from loyalty.selectors import balance_get, voucher_get
from referrals import services
from referrals.models import Referral, ReferralProgram
from tests.conftest import assert_configuration_read_once_per_batch
from tests.factories import (
    OrderFactory,
    ReferralFactory,
    RefundFactory,
    RewardFactory,
    UserFactory,
)

from .conftest import REFERRAL_POINTS, START, reload

pytestmark = pytest.mark.django_db
Status = Referral.Status
DAY = dt.timedelta(days=1)


def reward_with_a_voucher(program):
    program.referrer_reward_kind = ReferralProgram.ReferrerRewardKind.REWARD
    program.referrer_reward = RewardFactory(name="€15 thank-you", amount=Decimal("15.00"))
    program.save()


def statuses(referrer):
    return list(Activity.objects.filter(customer=referrer, kind="referral_status_changed")
                .order_by("occurred_at", "pk").values_list("data__status", flat=True))


def test_a_friend_gets_a_welcome_voucher_on_screen_and_by_email(shop, program, code, clock):
    referral = shop.sign_up(code, "grace@example.com", name="Grace Hopper")

    assert referral.status == Status.SIGNED_UP
    voucher = voucher_get(code=referral.voucher_code)
    assert voucher.reward == program.friend_reward
    assert voucher.account.customer.email == "grace@example.com"
    assert voucher.points == 0
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["grace@example.com"]
    assert referral.voucher_code in mail.outbox[0].body
    assert "10% off your first order" in mail.outbox[0].body


def test_signing_up_twice_returns_the_same_voucher_and_sends_no_second_email(
    shop, program, code, clock
):
    first = shop.sign_up(code, "grace@example.com")
    again = shop.sign_up(code, "Grace@Example.com ")

    assert again.pk == first.pk
    assert again.voucher_code == first.voucher_code
    assert mail.outbox == []
    assert Referral.objects.count() == 1


def test_the_whole_way_to_a_reward_with_points(shop, program, code, referrer, clock):
    referral = shop.sign_up(code, "grace@example.com")
    shop.pay("grace@example.com", discount_codes=[referral.voucher_code.lower()])

    referral = reload(referral)
    assert referral.status == Status.PENDING
    assert referral.order_total == Decimal("80.00")
    assert referral.hold_until == START + 14 * DAY
    assert balance_get(customer=referrer)["balance"] == 0
    assert voucher_get(code=referral.voucher_code).status == "used"

    clock.shift(13 * DAY)
    call_command("referrals_reward_due", stdout=io.StringIO())
    assert reload(referral).status == Status.PENDING

    clock.shift(DAY)
    call_command("referrals_reward_due", stdout=io.StringIO())
    referral = reload(referral)
    assert referral.status == Status.REWARDED
    assert referral.reward_points == REFERRAL_POINTS
    assert balance_get(customer=referrer)["balance"] == REFERRAL_POINTS

    call_command("referrals_reward_due", stdout=io.StringIO())
    assert balance_get(customer=referrer)["balance"] == REFERRAL_POINTS
    assert statuses(referrer) == ["signed_up", "pending", "rewarded"]
    rewarded = Activity.objects.get(kind="referral_status_changed", data__status="rewarded")
    assert rewarded.data == {"referral": referral.pk, "status": "rewarded"}


def test_an_order_with_only_the_referral_code_converts(shop, program, code, referrer, clock):
    shop.pay("linus@example.com", referral_code=code.code.lower())

    referral = Referral.objects.get()
    assert referral.friend.email == "linus@example.com"
    assert referral.status == Status.PENDING
    assert referral.voucher_code == ""


def test_a_reward_voucher_instead_of_points(shop, program, code, referrer, clock):
    reward_with_a_voucher(program)
    referral = shop.sign_up(code)
    shop.pay("grace@example.com", discount_codes=[referral.voucher_code])

    clock.shift(15 * DAY)
    services.referrals_reward_due()

    referral = reload(referral)
    assert referral.status == Status.REWARDED
    assert referral.reward_voucher.reward.name == "€15 thank-you"
    assert referral.reward_voucher.account.customer == referrer
    assert balance_get(customer=referrer)["balance"] == 0


def test_a_refund_during_the_hold_voids_it(shop, program, code, referrer, clock):
    referral = shop.sign_up(code)
    shop.pay("grace@example.com", discount_codes=[referral.voucher_code])
    clock.shift(3 * DAY)
    shop.refund("grace@example.com", refunded="20.00", when=START + 3 * DAY)

    assert reload(referral).status == Status.VOID
    clock.shift(30 * DAY)
    services.referrals_reward_due()
    assert reload(referral).status == Status.VOID
    assert balance_get(customer=referrer)["balance"] == 0
    assert statuses(referrer)[-1] == "void"


def test_a_refund_after_the_hold_reverses_the_points_once(shop, program, code, referrer, clock):
    referral = shop.sign_up(code)
    shop.pay("grace@example.com", discount_codes=[referral.voucher_code])
    clock.shift(15 * DAY)
    services.referrals_reward_due()
    assert balance_get(customer=referrer)["balance"] == REFERRAL_POINTS

    shop.refund("grace@example.com", refunded="40.00", when=START + 15 * DAY)
    shop.refund("grace@example.com", refunded="80.00", when=START + 16 * DAY)

    assert reload(referral).status == Status.REVERSED
    assert balance_get(customer=referrer)["balance"] == 0
    reversals = referrer.loyalty_account.entries.filter(kind="reverse")
    assert [e.amount for e in reversals] == [-REFERRAL_POINTS]


def test_a_refund_after_the_hold_cancels_an_unused_reward_voucher(
    shop, program, code, referrer, clock
):
    reward_with_a_voucher(program)
    referral = shop.sign_up(code)
    shop.pay("grace@example.com", discount_codes=[referral.voucher_code])
    clock.shift(15 * DAY)
    services.referrals_reward_due()

    shop.refund("grace@example.com", when=START + 15 * DAY)

    referral = reload(referral)
    assert referral.status == Status.REVERSED
    assert voucher_get(code=referral.reward_voucher.code).status == "cancelled"


def test_an_order_below_the_minimum_does_not_convert(shop, program, code, clock):
    program.minimum_order_total = Decimal("50.00")
    program.save()
    referral = shop.sign_up(code)

    shop.pay("grace@example.com", total="30.00", discount_codes=[referral.voucher_code])

    assert reload(referral).status == Status.SIGNED_UP
    assert reload(referral).order is None


def test_an_order_after_the_attribution_window_expires_it(shop, program, code, clock):
    referral = shop.sign_up(code)
    later = START + 31 * DAY
    clock.move_to(later)

    shop.pay("grace@example.com", discount_codes=[referral.voucher_code], when=later)

    assert reload(referral).status == Status.EXPIRED


def test_signups_without_an_order_expire_after_the_window(shop, program, code, clock):
    referral = shop.sign_up(code)
    clock.shift(31 * DAY)

    services.referrals_reward_due()

    assert reload(referral).status == Status.EXPIRED


def test_a_second_order_does_not_convert_again(shop, program, code, clock):
    referral = shop.sign_up(code)
    shop.pay("grace@example.com", order_id="1", discount_codes=[referral.voucher_code])
    shop.pay("grace@example.com", order_id="2", discount_codes=[referral.voucher_code])

    referral = reload(referral)
    assert referral.order.external_id == "1"
    assert Referral.objects.count() == 1


def test_a_closed_program_takes_no_signups(shop, program, code, clock):
    program.is_active = False
    program.save()

    with pytest.raises(services.referrals.ReferralProgramClosed):
        shop.sign_up(code)
    assert Referral.objects.count() == 0


def test_staff_approve_a_flagged_referral_and_it_is_paid_after_the_hold(
    shop, program, code, referrer, clock
):
    referral = shop.sign_up(code, name="Ada Lovelace")  # same name: flagged
    shop.pay("grace@example.com", discount_codes=[referral.voucher_code])
    assert reload(referral).status == Status.FLAGGED
    clock.shift(15 * DAY)
    services.referrals_reward_due()
    assert reload(referral).status == Status.FLAGGED  # never paid automatically

    staff = UserFactory(is_staff=True)
    services.referral_approve(referral=referral, by=staff, reason="Sister-in-law, same name")

    referral = reload(referral)
    assert referral.status == Status.REWARDED
    assert referral.reviewed_by == staff
    assert balance_get(customer=referrer)["balance"] == REFERRAL_POINTS


def test_staff_reject_a_flagged_referral_with_a_reason(shop, program, code, referrer, clock):
    referral = shop.sign_up(code, name="Ada Lovelace")
    shop.pay("grace@example.com", discount_codes=[referral.voucher_code])
    staff = UserFactory(is_staff=True)

    with pytest.raises(services.referrals.FlywheelError) as error:
        services.referral_reject(referral=referral, by=staff, reason="  ")
    assert error.value.code == "reason_required"

    services.referral_reject(referral=referral, by=staff, reason="Same person")
    clock.shift(30 * DAY)
    services.referrals_reward_due()
    assert reload(referral).status == Status.REJECTED
    assert reload(referral).reason == "Same person"
    assert balance_get(customer=referrer)["balance"] == 0

    with pytest.raises(services.referrals.ReferralNotReviewable):
        services.referral_approve(referral=referral, by=staff, reason="Changed my mind")


def test_staff_are_emailed_when_a_referral_is_flagged(shop, program, code, clock, settings):
    settings.STAFF_ALERT_EMAIL = "staff@example.com"
    referral = shop.sign_up(code, name="Ada Lovelace")
    mail.outbox.clear()

    shop.pay("grace@example.com", discount_codes=[referral.voucher_code])

    alerts = [m for m in mail.outbox if m.to == ["staff@example.com"]]
    assert len(alerts) == 1
    assert f"Referral #{referral.pk} waits for review" in alerts[0].subject
    assert "self_referral_name" in alerts[0].body
    assert f"/admin/referrals/flaggedreferral/{referral.pk}/change/" in alerts[0].body


def test_erasing_a_friend_forgets_their_email_and_devices(shop, program, code, referrer, clock):
    from customers.services import customer_erase

    referral = shop.sign_up(code, "grace@example.com")
    services.referral_owner_seen(code=code, ip="192.0.2.1", user_agent="Ada's phone")
    customer_erase(customer=referral.friend)
    customer_erase(customer=referrer)

    referral = reload(referral)
    assert referral.friend_email == f"erased-{referral.pk}@invalid"
    assert referral.ip_hash == referral.ua_hash == ""
    code.refresh_from_db()
    assert code.owner_ip_hash == "" and code.owner_seen_at is None
    assert Referral.objects.filter(friend_email__contains="grace").count() == 0


# Configuration read once per batch of deliveries


def referred_order(total="80.00"):
    """A friend's paid order carrying their welcome voucher (one referrer per friend)."""
    referral = ReferralFactory(voucher_code=f"WELCOME{Referral.objects.count():03d}")
    order = OrderFactory(customer=referral.friend, total=Decimal(total), placed_at=START,
                         paid_at=START, discount_codes=[referral.voucher_code])
    return referral, order


def test_a_batch_of_referred_orders_reads_the_program_once(program, clock):
    referrals, orders = zip(*(referred_order() for _ in range(11)), strict=True)

    assert_configuration_read_once_per_batch(
        lambda order: services.referral_convert_for_order(order=order), orders)

    assert [reload(referral).status for referral in referrals] == [Status.PENDING] * 11


def _statements(call) -> int:
    with CaptureQueriesContext(connection) as queries:
        call()
    return len(queries)


def test_a_replayed_batch_of_referred_orders_finds_its_referrals_in_statements_that_do_not_grow(
        program, clock, referrer):
    code = services.referral_code_get_or_create(customer=referrer)
    counts = {}
    for size in (1, 20):
        pairs = [referred_order() for _ in range(size)]
        by_code = [OrderFactory(total=Decimal("80.00"), placed_at=START, paid_at=START,
                                referral_code=code.code) for _ in range(size)]
        orders = [order for _referral, order in pairs] + by_code
        services.referrals_convert_for_orders(orders=orders)
        counts[size] = _statements(
            lambda orders=orders: services.referrals_convert_for_orders(orders=orders))
        assert [reload(referral).status for referral, _order in pairs] == [Status.PENDING] * size
        assert Referral.objects.filter(code=code, order__in=by_code).count() == size
    assert counts[20] == counts[1]


@pytest.mark.usefixtures("inserted_not_copied")
@pytest.mark.parametrize("rewarded", [False, True], ids=["during the hold", "after the hold"])
def test_refunds_of_a_batch_of_referred_orders_take_statements_that_do_not_grow(
        program, clock, rewarded):
    counts = {}
    for size in (1, 20):
        pairs = [referred_order() for _ in range(size)]
        services.referrals_convert_for_orders(orders=[order for _referral, order in pairs])
        if rewarded:
            services.referrals_reward_due(now=START + dt.timedelta(days=15))
        refunds = []
        for _referral, order in pairs:
            order.refunded_total = order.total
            order.save(update_fields=["refunded_total"])
            refunds.append(RefundFactory(order=order, amount=order.total))
        counts[size] = _statements(
            lambda refunds=refunds: services.referrals_refund(refunds=refunds))
        want = Status.REVERSED if rewarded else Status.VOID
        assert [reload(referral).status for referral, _order in pairs] == [want] * size
        if rewarded:
            assert [balance_get(customer=referral.referrer)["balance"]
                    for referral, _order in pairs] == [0] * size
    assert counts[20] == counts[1]


def test_outside_a_batch_a_raised_minimum_counts_from_the_next_order(program, clock):
    (before, before_order), (after, after_order) = referred_order(), referred_order()

    services.referral_convert_for_order(order=before_order)
    program.minimum_order_total = Decimal("100.00")
    program.save()
    services.referral_convert_for_order(order=after_order)

    assert (reload(before).status, reload(after).status) == (Status.PENDING, Status.SIGNED_UP)


def test_an_order_without_a_code_converts_nothing_at_no_cost(program, django_assert_num_queries):
    order = OrderFactory(total=Decimal("80.00"))

    with django_assert_num_queries(0):
        assert services.referral_convert_for_order(order=order) is None
