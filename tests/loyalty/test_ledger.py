"""The ledger's invariants: append-only entries, cached balances, keys, spending and adjusting."""

import pytest
from django.db import IntegrityError, connection, transaction

from kernel.errors import FlywheelError
from loyalty import services
from loyalty.errors import InsufficientPoints
from loyalty.models import LoyaltyAccount, PointsEntry, PointsLot
from loyalty.selectors import balance_get
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


def bonus(customer, points, key="welcome"):
    return services.points_award(customer=customer, points=points, key=key)


def ledger_sum(customer) -> int:
    return sum(PointsEntry.objects.filter(account__customer=customer, held=False)
               .values_list("amount", flat=True))


def test_a_customer_without_points_has_no_account_and_reads_zero():
    customer = CustomerFactory()

    assert balance_get(customer=customer) == {"balance": 0, "pending": 0}
    assert not LoyaltyAccount.objects.exists()


def test_a_bonus_opens_the_account_and_is_available_at_once():
    customer = CustomerFactory()

    entry = bonus(customer, 50)

    assert entry.kind == PointsEntry.Kind.BONUS
    assert balance_get(customer=customer) == {"balance": 50, "pending": 0}
    lot = PointsLot.objects.get()
    assert (lot.points, lot.remaining, lot.held_until) == (50, 50, None)


def test_the_same_key_posts_once():
    customer = CustomerFactory()

    first = bonus(customer, 50, key="birthday:2026")
    again = bonus(customer, 50, key="birthday:2026")

    assert first is not None
    assert again is None
    assert PointsEntry.objects.count() == 1
    assert balance_get(customer=customer)["balance"] == 50


def test_the_database_refuses_a_duplicate_key():
    account = services.loyalty_account_get_or_create(customer=CustomerFactory())
    PointsEntry.objects.create(account=account, kind="bonus", amount=5, key="k")

    with pytest.raises(IntegrityError), transaction.atomic():
        PointsEntry.objects.create(account=account, kind="bonus", amount=5, key="k")


@pytest.mark.parametrize(
    ("kind", "amount"),
    [("bonus", 0), ("earn", -5), ("redeem", 5), ("reverse", 3), ("adjust", 0)],
)
def test_the_database_refuses_an_entry_whose_sign_does_not_match_its_kind(kind, amount):
    account = services.loyalty_account_get_or_create(customer=CustomerFactory())

    with pytest.raises(IntegrityError), transaction.atomic():
        PointsEntry.objects.create(account=account, kind=kind, amount=amount, key="k")


def test_the_database_refuses_negative_pending_points():
    account = services.loyalty_account_get_or_create(customer=CustomerFactory())

    with pytest.raises(IntegrityError), transaction.atomic():
        LoyaltyAccount.objects.filter(pk=account.pk).update(pending=-1)


def test_entries_cannot_be_updated_or_deleted_through_the_orm():
    entry = bonus(CustomerFactory(), 50)

    entry.amount = 5000
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        PointsEntry.objects.filter(pk=entry.pk).update(amount=5000)
    with pytest.raises(TypeError):
        PointsEntry.objects.all().delete()
    assert PointsEntry.objects.get().amount == 50


@pytest.mark.postgres
def test_postgresql_refuses_a_raw_update_or_delete_of_an_entry():
    entry = bonus(CustomerFactory(), 50)
    table = PointsEntry._meta.db_table

    for sql in (f"UPDATE {table} SET amount = 5000 WHERE id = %s",
                f"DELETE FROM {table} WHERE id = %s"):
        with pytest.raises(Exception, match="append-only"), transaction.atomic(), \
                connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk])

    assert PointsEntry.objects.get().amount == 50


def test_spending_takes_points_from_the_balance_and_keeps_the_cache_equal_to_the_ledger():
    customer = CustomerFactory()
    bonus(customer, 100)
    account = LoyaltyAccount.objects.get(customer=customer)

    entry = services.points_spend(account=account, amount=30, key="redemption:1")

    assert (entry.kind, entry.amount) == (PointsEntry.Kind.REDEEM, -30)
    assert balance_get(customer=customer)["balance"] == 70 == ledger_sum(customer)


def test_spending_more_than_the_balance_is_refused_and_changes_nothing():
    customer = CustomerFactory()
    bonus(customer, 20)
    account = LoyaltyAccount.objects.get(customer=customer)

    with pytest.raises(InsufficientPoints) as error:
        services.points_spend(account=account, amount=21, key="redemption:1")

    assert error.value.code == "insufficient_points"
    assert error.value.status == 409
    assert balance_get(customer=customer)["balance"] == 20
    assert not PointsEntry.objects.filter(kind="redeem").exists()


def test_a_spend_replayed_with_its_key_is_not_charged_twice():
    customer = CustomerFactory()
    bonus(customer, 100)
    account = LoyaltyAccount.objects.get(customer=customer)

    first = services.points_spend(account=account, amount=30, key="redemption:1")
    again = services.points_spend(account=account, amount=30, key="redemption:1")

    assert first.pk == again.pk
    assert balance_get(customer=customer)["balance"] == 70


def test_staff_adjust_with_a_reason_and_it_is_recorded():
    customer = CustomerFactory()
    staff = UserFactory(is_staff=True)
    account = services.loyalty_account_get_or_create(customer=customer)

    entry = services.points_adjust(account=account, amount=25, by=staff,
                                   reason="Parcel arrived late")

    assert (entry.kind, entry.amount, entry.staff, entry.reason) == (
        "adjust", 25, staff, "Parcel arrived late")
    assert balance_get(customer=customer)["balance"] == 25 == ledger_sum(customer)


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_adjustment_without_a_reason_is_refused(reason):
    account = services.loyalty_account_get_or_create(customer=CustomerFactory())

    with pytest.raises(FlywheelError) as error:
        services.points_adjust(account=account, amount=25, by=UserFactory(is_staff=True),
                               reason=reason)

    assert "reason" in error.value.fields
    assert not PointsEntry.objects.exists()


def test_the_database_refuses_an_adjustment_without_staff_or_reason():
    account = services.loyalty_account_get_or_create(customer=CustomerFactory())

    with pytest.raises(IntegrityError), transaction.atomic():
        PointsEntry.objects.create(account=account, kind="adjust", amount=5, key="k",
                                   staff=UserFactory(is_staff=True), reason="")
    with pytest.raises(IntegrityError), transaction.atomic():
        PointsEntry.objects.create(account=account, kind="adjust", amount=5, key="k2",
                                   reason="Goodwill")


def test_only_staff_can_adjust():
    account = services.loyalty_account_get_or_create(customer=CustomerFactory())

    with pytest.raises(FlywheelError) as error:
        services.points_adjust(account=account, amount=25, by=UserFactory(), reason="Why not")

    assert error.value.code == "staff_required"


def test_a_deduction_cannot_take_the_balance_below_zero():
    customer = CustomerFactory()
    bonus(customer, 10)
    account = LoyaltyAccount.objects.get(customer=customer)

    with pytest.raises(InsufficientPoints):
        services.points_adjust(account=account, amount=-11, by=UserFactory(is_staff=True),
                               reason="Fraud")
    services.points_adjust(account=account, amount=-10, by=UserFactory(is_staff=True),
                           reason="Fraud")

    assert balance_get(customer=customer)["balance"] == 0 == ledger_sum(customer)
