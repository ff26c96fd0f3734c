"""VIP tiers: up at once, down only at re-evaluation, manual floors, live edits, progress."""

import io
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from PIL import Image

from customers.models import Activity, Customer
from kernel.errors import InvalidImage
from loyalty import services
from loyalty.models import LoyaltyAccount, LoyaltyProgram, Redemption, Tier, TierChange
from loyalty.selectors import balance_get, loyalty_summary_get
from tests.conftest import assert_configuration_read_once_per_batch, at, order_event, post_event
from tests.factories import (
    CustomerFactory,
    EarningRuleFactory,
    OrderFactory,
    RefundFactory,
    RewardFactory,
    TierFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Reason = TierChange.Reason


@pytest.fixture
def tiers():
    return {
        "Bronze": TierFactory(name="Bronze", position=1, threshold=Decimal("0")),
        "Silver": TierFactory(name="Silver", position=2, threshold=Decimal("100")),
        "Gold": TierFactory(name="Gold", position=3, threshold=Decimal("200")),
    }


def program(**settings) -> LoyaltyProgram:
    p = LoyaltyProgram.get()
    for name, value in settings.items():
        setattr(p, name, value)
    p.save()
    return p


def tier_of(customer) -> str | None:
    account = LoyaltyAccount.objects.select_related("tier").get(customer=customer)
    return account.tier.name if account.tier else None


def give(customer, points, key):
    return services.points_award(customer=customer, points=points, key=key)


def paid(customer, total, when, **kwargs):
    order = OrderFactory(customer=customer, total=Decimal(total), placed_at=when, paid_at=when,
                         **kwargs)
    services.tiers_promote_customer(customer=customer, now=when)
    return order


def staff():
    return UserFactory(email="manager@example.com", is_staff=True)


# Moving up


def test_available_points_move_a_customer_up_at_once_with_a_record(tiers):
    customer = CustomerFactory()

    give(customer, 150, "welcome")

    assert tier_of(customer) == "Silver"
    change = TierChange.objects.get(account__customer=customer, to_tier=tiers["Silver"])
    assert (change.from_name, change.to_name, change.is_up, change.reason) == (
        "", "Silver", True, Reason.QUALIFIED)
    customer.refresh_from_db()
    assert customer.loyalty_tier == "Silver"
    activity = Activity.objects.filter(customer=customer, kind="tier_changed").first()
    assert activity.data == {"from": "", "to": "Silver", "reason": "qualified"}


def test_held_points_count_only_once_released(tiers):
    EarningRuleFactory(points_per_unit=Decimal("1"))
    customer = CustomerFactory()
    when = at("2026-03-01T10:00:00Z")
    order = OrderFactory(customer=customer, total=Decimal("150"), placed_at=when, paid_at=when)
    services.points_award_for_order(order=order)

    assert balance_get(customer=customer)["pending"] == 150
    assert tier_of(customer) is None

    services.points_release_due(now=at("2026-03-20T10:00:00Z"))

    assert tier_of(customer) == "Silver"


def test_a_paid_order_event_moves_a_spending_customer_up(
    api, tiers, django_capture_on_commit_callbacks
):
    program(tier_metric=LoyaltyProgram.TierMetric.SPENT)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(api, order_event(total="250.00", lines=[
            {"sku": "SERUM-30", "name": "Serum", "quantity": 1, "price": "250.00"}]))
    assert response.status_code == 202

    assert tier_of(Customer.objects.get(email="ada@example.com")) == "Gold"


def test_a_first_paid_order_makes_a_member_at_once_while_its_points_are_held(
    api, tiers, django_capture_on_commit_callbacks
):
    """The points metric: the order's points wait for the return window, but a tier anyone
    reaches (Bronze, from 0) is given as soon as the order is paid, once."""
    EarningRuleFactory(points_per_unit=Decimal("1"))

    for event in (order_event(), order_event(id="1002", name="#1002")):
        with django_capture_on_commit_callbacks(execute=True):
            assert post_event(api, event).status_code == 202

    customer = Customer.objects.get(email="ada@example.com")
    assert tier_of(customer) == "Bronze"
    assert balance_get(customer=customer) == {"balance": 0, "pending": 118}
    assert TierChange.objects.filter(account__customer=customer).count() == 1


def test_points_earned_without_a_hold_move_the_customer_up_once_per_paid_order(
    api, tiers, settings, django_capture_on_commit_callbacks
):
    settings.LOYALTY_HOLD_DAYS = 0
    EarningRuleFactory(points_per_unit=Decimal("1"))

    with django_capture_on_commit_callbacks(execute=True):
        assert post_event(api, order_event(total="150.00")).status_code == 202

    customer = Customer.objects.get(email="ada@example.com")
    assert tier_of(customer) == "Silver"
    assert balance_get(customer=customer) == {"balance": 150, "pending": 0}
    change = TierChange.objects.get(account__customer=customer)
    assert (change.from_name, change.to_name, change.qualifying_value) == (
        "", "Silver", Decimal("150"))


def test_entry_points_and_reward_are_given_once_per_tier(tiers):
    gold = tiers["Gold"]
    gold.entry_points = 50
    gold.entry_reward = RewardFactory(name="Gold welcome gift", cost=500)
    gold.save()
    customer = CustomerFactory()

    give(customer, 250, "big-bonus")

    assert tier_of(customer) == "Gold"
    assert balance_get(customer=customer)["balance"] == 300
    assert Redemption.objects.filter(account__customer=customer, points=0).count() == 1
    # Down (a re-evaluation after a lost year) and up again: no second welcome.
    program(tier_period=LoyaltyProgram.TierPeriod.CALENDAR_YEAR, tier_retention_days=1)
    with time_machine.travel(at("2029-01-01T01:00:00Z")):
        services.tiers_reevaluate()
        assert tier_of(customer) == "Bronze"
        give(customer, 250, "again")
    assert tier_of(customer) == "Gold"
    assert balance_get(customer=customer)["balance"] == 550
    assert Redemption.objects.filter(account__customer=customer, points=0).count() == 1


def test_jumping_two_tiers_gives_the_reached_tier_only(tiers):
    tiers["Silver"].entry_points = 10
    tiers["Silver"].save()
    customer = CustomerFactory()

    give(customer, 250, "jump")

    assert tier_of(customer) == "Gold"
    assert balance_get(customer=customer)["balance"] == 250


def test_a_batch_of_awards_reads_the_tiers_and_the_program_once(tiers):
    LoyaltyProgram.get()
    customers = CustomerFactory.create_batch(11)

    assert_configuration_read_once_per_batch(
        lambda customer: give(customer, 150, f"welcome:{customer.pk}"), customers)

    assert [tier_of(customer) for customer in customers] == ["Silver"] * 11


def test_outside_a_batch_a_tier_added_counts_from_the_next_points():
    before, after = CustomerFactory(), CustomerFactory()

    give(before, 150, "welcome:before")
    TierFactory(name="Silver", position=1, threshold=Decimal("100"))
    give(after, 150, "welcome:after")

    assert (tier_of(before), tier_of(after)) == (None, "Silver")


# Moving down


def test_down_only_at_re_evaluation_after_the_retention_period(tiers):
    program(tier_metric=LoyaltyProgram.TierMetric.SPENT,
            tier_period=LoyaltyProgram.TierPeriod.CALENDAR_YEAR, tier_retention_days=365)
    customer = CustomerFactory()
    paid(customer, "250", at("2026-03-01T10:00:00Z"))
    assert tier_of(customer) == "Gold"

    # A new year: nothing spent in 2027, but 2026 (the year that just ended) still counts.
    services.tiers_reevaluate(now=at("2027-01-01T00:30:00Z"))
    assert tier_of(customer) == "Gold"
    # Promotions never demote, whatever happens in between.
    paid(customer, "10", at("2027-06-01T10:00:00Z"))
    assert tier_of(customer) == "Gold"

    counts = services.tiers_reevaluate(now=at("2028-01-01T00:30:00Z"))

    assert counts == {"up": 0, "down": 1}
    assert tier_of(customer) == "Bronze"
    change = TierChange.objects.filter(account__customer=customer).first()
    assert (change.from_name, change.to_name, change.is_up, change.reason) == (
        "Gold", "Bronze", False, Reason.RE_EVALUATION)
    customer.refresh_from_db()
    assert customer.loyalty_tier == "Bronze"
    # Running it again changes nothing.
    assert services.tiers_reevaluate(now=at("2028-01-01T00:31:00Z")) == {"up": 0, "down": 0}


def test_retention_keeps_a_tier_at_re_evaluation_until_it_has_passed(tiers):
    program(tier_metric=LoyaltyProgram.TierMetric.SPENT,
            tier_period=LoyaltyProgram.TierPeriod.ROLLING_12_MONTHS, tier_retention_days=400)
    customer = CustomerFactory()
    paid(customer, "250", at("2026-01-10T10:00:00Z"))

    services.tiers_reevaluate(now=at("2027-02-01T00:00:00Z"))  # 387 days later
    assert tier_of(customer) == "Gold"

    services.tiers_reevaluate(now=at("2027-02-20T00:00:00Z"))  # 406 days later
    assert tier_of(customer) == "Bronze"


def test_a_refund_lowers_the_qualifying_amount_at_re_evaluation(tiers):
    program(tier_metric=LoyaltyProgram.TierMetric.SPENT, tier_retention_days=0)
    customer = CustomerFactory()
    order = paid(customer, "250", at("2026-01-10T10:00:00Z"))
    RefundFactory(order=order, amount=Decimal("200"))
    order.refunded_total, order.shop_net = Decimal("200"), Decimal("50")
    order.save()

    services.tiers_reevaluate(now=at("2026-02-01T00:00:00Z"))

    assert tier_of(customer) == "Bronze"


# Manual tiers


def test_a_manual_tier_is_a_floor_until_its_end_date(tiers):
    program(tier_retention_days=30)
    customer = CustomerFactory()
    manager = staff()

    with time_machine.travel(at("2026-05-01T10:00:00Z")):
        give(customer, 10, "small")
        account = LoyaltyAccount.objects.get(customer=customer)
        services.tier_set_manual(account=account, tier=tiers["Gold"],
                                 until=at("2026-09-01T00:00:00Z"), by=manager,
                                 reason="Influencer partnership")
    assert tier_of(customer) == "Gold"
    change = TierChange.objects.get(account=account, reason=Reason.MANUAL)
    assert (change.staff, change.note) == (manager, "Influencer partnership")

    services.tiers_reevaluate(now=at("2026-08-31T23:00:00Z"))
    assert tier_of(customer) == "Gold"

    services.tiers_reevaluate(now=at("2026-09-01T01:00:00Z"))
    assert tier_of(customer) == "Bronze"
    account.refresh_from_db()
    assert account.manual_tier is None


def test_a_manual_tier_is_kept_until_its_end_not_for_the_retention_period(tiers):
    program(tier_retention_days=365)
    customer = CustomerFactory()
    account = services.loyalty_account_get_or_create(customer=customer)
    with time_machine.travel(at("2026-05-01T10:00:00Z")):
        services.tier_set_manual(account=account, tier=tiers["Gold"],
                                 until=at("2026-06-01T00:00:00Z"), by=staff(),
                                 reason="One month trial")

    services.tiers_reevaluate(now=at("2026-06-02T00:00:00Z"))

    assert tier_of(customer) == "Bronze"


def test_a_customer_can_still_move_up_above_a_manual_tier(tiers):
    customer = CustomerFactory()
    account = services.loyalty_account_get_or_create(customer=customer)
    services.tier_set_manual(account=account, tier=tiers["Silver"],
                             until=at("2099-01-01T00:00:00Z"), by=staff(), reason="Apology")

    give(customer, 220, "bonus")

    assert tier_of(customer) == "Gold"


def test_a_manual_tier_needs_staff_a_reason_and_a_future_end(tiers):
    customer = CustomerFactory()
    account = services.loyalty_account_get_or_create(customer=customer)

    with pytest.raises(services.tiers.FlywheelError) as error:
        services.tier_set_manual(account=account, tier=tiers["Gold"],
                                 until=at("2020-01-01T00:00:00Z"), by=staff(), reason="")
    assert set(error.value.fields) == {"manual_tier_until", "reason"}
    with pytest.raises(services.tiers.FlywheelError) as error:
        services.tier_set_manual(account=account, tier=tiers["Gold"],
                                 until=at("2099-01-01T00:00:00Z"),
                                 by=UserFactory(email="shopper@example.com"), reason="Hi")
    assert error.value.code == "staff_required"
    assert tier_of(customer) is None


# Live edits


def test_raising_a_threshold_never_demotes_before_re_evaluation(
    tiers, django_capture_on_commit_callbacks
):
    program(tier_retention_days=0)
    customer = CustomerFactory()
    give(customer, 220, "bonus")
    gold = tiers["Gold"]

    gold.threshold = Decimal("500")
    with django_capture_on_commit_callbacks(execute=True):
        services.tier_save(tier=gold)

    assert tier_of(customer) == "Gold"
    services.tiers_reevaluate()
    assert tier_of(customer) == "Silver"


def test_lowering_a_threshold_or_adding_a_tier_moves_members_up_in_the_background(
    tiers, django_capture_on_commit_callbacks
):
    customer = CustomerFactory()
    give(customer, 150, "bonus")
    assert tier_of(customer) == "Silver"

    gold = tiers["Gold"]
    gold.threshold = Decimal("140")
    with django_capture_on_commit_callbacks(execute=True):
        services.tier_save(tier=gold)
    assert tier_of(customer) == "Gold"

    with django_capture_on_commit_callbacks(execute=True):
        services.tier_save(tier=Tier(name="Platinum", position=4, threshold=Decimal("145")))
    assert tier_of(customer) == "Platinum"
    assert TierChange.objects.filter(account__customer=customer).first().reason == (
        Reason.TIERS_EDITED)


def test_renaming_a_tier_renames_it_on_the_profile(tiers, django_capture_on_commit_callbacks):
    customer = CustomerFactory()
    give(customer, 150, "bonus")
    silver = tiers["Silver"]

    silver.name = "Argent"
    with django_capture_on_commit_callbacks(execute=True):
        services.tier_save(tier=silver)

    customer.refresh_from_db()
    assert customer.loyalty_tier == "Argent"


def test_removing_a_tier_moves_its_members_to_the_tier_below(tiers):
    customer = CustomerFactory()
    give(customer, 150, "bonus")
    manager = staff()

    moved = services.tier_delete(tier=tiers["Silver"], by=manager)

    assert moved == 1
    assert tier_of(customer) == "Bronze"
    change = TierChange.objects.filter(account__customer=customer).first()
    assert (change.from_name, change.reason, change.staff) == (
        "Silver", Reason.TIER_REMOVED, manager)
    customer.refresh_from_db()
    assert customer.loyalty_tier == "Bronze"


def test_a_tier_threshold_must_sit_between_its_neighbours(tiers):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        services.tier_save(tier=Tier(name="Odd", position=4, threshold=Decimal("150")))
    assert "threshold" in error.value.message_dict


# Period boundaries


@pytest.mark.parametrize(("when", "expected"), [
    ("2026-12-31T23:59:59Z", "Gold"),
    ("2027-01-01T00:00:00Z", "Silver"),
])
def test_calendar_year_counts_orders_paid_within_the_year(tiers, when, expected):
    program(tier_metric=LoyaltyProgram.TierMetric.SPENT,
            tier_period=LoyaltyProgram.TierPeriod.CALENDAR_YEAR)
    customer = CustomerFactory()
    OrderFactory(customer=customer, total=Decimal("120"), placed_at=at("2026-06-01T10:00:00Z"))
    services.loyalty_account_get_or_create(customer=customer)

    paid(customer, "100", at(when))

    assert tier_of(customer) == expected


def test_rolling_twelve_months_drops_old_orders(tiers):
    program(tier_metric=LoyaltyProgram.TierMetric.ORDERS,
            tier_period=LoyaltyProgram.TierPeriod.ROLLING_12_MONTHS)
    for tier, threshold in (("Silver", 2), ("Gold", 3)):
        tiers[tier].threshold = Decimal(threshold)
        tiers[tier].save()
    customer = CustomerFactory()
    OrderFactory(customer=customer, placed_at=at("2025-05-01T10:00:00Z"))
    OrderFactory(customer=customer, placed_at=at("2026-01-01T10:00:00Z"))

    paid(customer, "20", at("2026-04-30T10:00:00Z"))
    assert tier_of(customer) == "Gold"

    other = CustomerFactory()
    OrderFactory(customer=other, placed_at=at("2025-05-01T10:00:00Z"))
    OrderFactory(customer=other, placed_at=at("2026-01-01T10:00:00Z"))
    paid(other, "20", at("2026-05-02T10:00:00Z"))
    assert tier_of(other) == "Silver"


# Progress


def test_progress_says_what_to_spend_by_the_end_of_the_year(tiers):
    program(tier_metric=LoyaltyProgram.TierMetric.SPENT,
            tier_period=LoyaltyProgram.TierPeriod.CALENDAR_YEAR)
    customer = CustomerFactory()
    paid(customer, "160", at("2026-10-01T10:00:00Z"))

    with time_machine.travel(at("2026-11-22T10:00:00Z")):
        summary = loyalty_summary_get(customer=customer)

    assert summary["tier"]["name"] == "Silver"
    assert summary["next_tier"]["name"] == "Gold"
    assert summary["progress"]["text"] == "Spend €40 more by 31 December to reach Gold."
    assert summary["progress"]["percent"] == 80
    assert summary["progress"]["deadline"] == "2026-12-31"


def test_progress_in_points_and_orders_without_a_deadline(tiers):
    customer = CustomerFactory()
    give(customer, 70, "bonus")
    assert loyalty_summary_get(customer=customer)["progress"]["text"] == (
        "Earn 30 more points to reach Silver.")

    program(tier_metric=LoyaltyProgram.TierMetric.ORDERS,
            tier_period=LoyaltyProgram.TierPeriod.ROLLING_12_MONTHS)
    tiers["Silver"].threshold = Decimal("3")
    tiers["Silver"].save()
    OrderFactory(customer=customer)
    assert loyalty_summary_get(customer=customer)["progress"]["text"] == (
        "Place 2 more orders to reach Silver (we count the last 12 months).")


def test_at_the_top_tier_progress_says_so(tiers):
    customer = CustomerFactory()
    give(customer, 300, "bonus")

    summary = loyalty_summary_get(customer=customer)

    assert summary["next_tier"] is None
    assert summary["progress"]["percent"] == 100
    assert summary["progress"]["text"] == "You're in our top tier."


def test_the_loyalty_api_shows_tier_next_tier_and_progress(api, tiers):
    customer = CustomerFactory()
    give(customer, 120, "bonus")

    body = api.get(f"/api/v1/customers/{customer.pk}/loyalty/").json()

    assert body["balance"] == 120
    assert body["tier"]["name"] == "Silver"
    assert body["next_tier"]["name"] == "Gold"
    assert body["progress"]["remaining"] == "80.00"


# Email, badge, command


def test_a_tier_up_sends_one_email_with_html_and_text(
    tiers, mailoutbox, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(email="noor@example.com", first_name="Noor", accepts_marketing=True)
    tiers["Silver"].perks = "Free shipping on every order"
    tiers["Silver"].save()

    with django_capture_on_commit_callbacks(execute=True):
        give(customer, 120, "bonus")

    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["noor@example.com"]
    assert mail.subject == "Welcome to Silver!"
    assert "Free shipping on every order" in mail.body
    assert "Earn 80 more points to reach Gold." in mail.body
    assert "Free shipping on every order" in mail.alternatives[0][0]
    change = TierChange.objects.get(to_tier=tiers["Silver"])
    from loyalty.services.emails import tier_up_email_send

    assert tier_up_email_send(change_id=change.pk) is False
    assert len(mailoutbox) == 1


def png(size=(600, 400)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", size, (200, 160, 30, 255)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_badge_is_resized_and_a_non_image_or_oversized_one_refused():
    badge = services.tier_badge_clean(file=SimpleUploadedFile("gold.png", png()), name="Gold")
    image = Image.open(io.BytesIO(badge.read()))
    assert (image.format, image.size) == ("WEBP", (256, 171))
    assert badge.name == "gold.webp"

    with pytest.raises(InvalidImage, match="not an image"):
        services.tier_badge_clean(file=SimpleUploadedFile("gold.png", b"<svg></svg>"))
    big = SimpleUploadedFile("big.png", b"x" * (services.tiers.BADGE_MAX_BYTES + 1))
    with pytest.raises(InvalidImage, match="largest accepted is 2"):
        services.tier_badge_clean(file=big)


def test_evaluate_tiers_command_reevaluates(tiers):
    program(tier_retention_days=0)
    customer = CustomerFactory()
    give(customer, 150, "bonus")
    tiers["Silver"].threshold = Decimal("180")
    tiers["Silver"].save()
    out = io.StringIO()

    call_command("evaluate_tiers", stdout=out)

    assert "1 moved down" in out.getvalue()
    assert tier_of(customer) == "Bronze"


def test_new_members_move_into_the_entry_tier_together_with_one_statement_per_table(tiers):
    """However many members a batch promotes, their tiers, tier changes, timeline rows and
    profiles are written with one statement each (configuration read once per batch, as the
    deliveries worker reads it)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kernel.memo import memo_scope
    from tests.conftest import statements_by_table

    LoyaltyProgram.get()  # the program exists, as in any shop with tiers

    def promote(count: int):
        accounts = [LoyaltyAccount.objects.create(customer=CustomerFactory())
                    for _ in range(count)]
        with memo_scope(), CaptureQueriesContext(connection) as queries:
            changes = services.tiers_promote(account_ids=[a.pk for a in accounts])
        assert len(changes) == count
        return accounts, statements_by_table(queries.captured_queries)

    _few, two = promote(2)
    many, twelve = promote(12)

    assert two == twelve
    for table in ("loyalty_tierchange", "customers_activity", "customers_customer"):
        assert twelve[table] == 1, twelve
    for account in many:
        account.refresh_from_db()
        assert account.tier == tiers["Bronze"]
        assert account.customer.loyalty_tier == "Bronze"
        change = TierChange.objects.get(account=account)
        assert (change.from_name, change.to_name, change.reason) == ("", "Bronze", "qualified")
        assert account.customer.activities.get(kind="tier_changed").data == {
            "from": "", "to": "Bronze", "reason": "qualified"}
