"""The profile services other apps build on: timeline, answers, consent, accounts."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from customers import selectors, services
from customers.models import Activity, Attribute, Customer, Order
from customers.signals import activities_recorded
from kernel.errors import FlywheelError
from tests.factories import CustomerFactory, OrderFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_an_activity_with_a_key_is_recorded_and_announced_once():
    customer = CustomerFactory()
    heard = []
    activities_recorded.connect(lambda activities, **kw: heard.extend(a.pk for a in activities),
                                weak=False, dispatch_uid="test-heard")
    try:
        first = services.activity_record(customer=customer, kind="review_posted",
                                         key="review:77", data={"stars": 5})
        again = services.activity_record(customer=customer, kind="review_posted",
                                         key="review:77", data={"stars": 5})
    finally:
        activities_recorded.disconnect(dispatch_uid="test-heard")

    assert first.pk == again.pk
    assert Activity.objects.filter(key="review:77").count() == 1
    assert heard == [first.pk]
    assert first.kind_label == "Review posted"


def test_the_profile_shows_the_latest_answer_and_keeps_the_history():
    customer = CustomerFactory()
    earlier = timezone.now() - dt.timedelta(days=30)
    services.attribute_set(customer=customer, key="skin_type", value="dry", source_kind="quiz",
                           source_id="quiz:1:v1", captured_at=earlier)
    services.attribute_set(customer=customer, key="skin_type", value="oily", source_kind="staff",
                           source_id="user:3")

    latest = selectors.attributes_latest(customer=customer)

    assert latest["skin_type"].value == "oily"
    assert latest["skin_type"].source_kind == "staff"
    assert Attribute.objects.filter(customer=customer).count() == 2


def test_an_attribute_key_must_be_a_slug():
    with pytest.raises(FlywheelError) as error:
        services.attribute_set(customer=CustomerFactory(), key="skin type!", value="x",
                               source_kind="api")

    assert error.value.code == "invalid_attribute"
    assert "key" in error.value.fields


def test_consent_is_recorded_with_source_and_time_only_when_it_changes():
    customer = CustomerFactory()

    services.consent_set(customer=customer, accepts_marketing=True, source="quiz")
    services.consent_set(customer=customer, accepts_marketing=True, source="shopify")
    services.consent_set(customer=customer, accepts_marketing=False, source="account")

    customer.refresh_from_db()
    assert customer.accepts_marketing is False
    assert customer.marketing_consent_source == "account"
    changes = customer.activities.filter(kind="consent_changed").order_by("id")
    assert [a.data["source"] for a in changes] == ["quiz", "account"]


def test_an_account_links_to_the_customer_with_the_same_email():
    customer = CustomerFactory(email="ada@example.com")
    user = UserFactory(email="ada@example.com")

    linked = services.customer_link_user(user=user)

    assert linked.pk == customer.pk
    assert linked.user == user
    assert customer.activities.filter(kind="account_created").count() == 1


def test_a_customer_cannot_get_a_second_account():
    customer = CustomerFactory(email="ada@example.com")
    services.customer_link_user(user=UserFactory(email="ada@example.com"))
    other = UserFactory(email="other@example.com")
    Customer.objects.filter(pk=customer.pk).update(email="other@example.com")

    with pytest.raises(FlywheelError):
        services.customer_link_user(user=other)


def test_upsert_normalises_the_email():
    customer = services.customer_upsert(email="  Grace@Example.COM ")

    assert customer.email == "grace@example.com"
    assert services.customer_upsert(email="grace@example.com").pk == customer.pk


def test_order_statistics_are_recounted_for_many_customers_at_once():
    ada, grace, alan = CustomerFactory.create_batch(3)
    OrderFactory(customer=ada, total=Decimal("40.00"), refunded_total=Decimal("15.00"))
    OrderFactory(customer=ada, total=Decimal("20.00"))
    OrderFactory(customer=ada, total=Decimal("99.00"), status=Order.Status.CANCELLED)
    OrderFactory(customer=grace, total=Decimal("10.00"), status=Order.Status.PENDING,
                 paid_at=None)

    assert services.customers_stats_refresh(customer_ids=[ada.pk, grace.pk, alan.pk]) == 3

    ada.refresh_from_db()
    assert (ada.orders_count, ada.total_spent) == (2, Decimal("45.00"))
    assert ada.first_order_at == min(o.placed_at for o in ada.orders.exclude(
        status=Order.Status.CANCELLED))
    grace.refresh_from_db()
    assert (grace.orders_count, grace.total_spent, grace.last_order_at) == (0, 0, None)


def test_a_refreshed_customer_reads_its_new_statistics():
    customer = CustomerFactory()
    assert customer.orders_count == 0
    OrderFactory(customer=customer, total=Decimal("25.00"))

    services.customer_stats_refresh(customer=customer)

    assert (customer.orders_count, customer.total_spent) == (1, Decimal("25.00"))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_upsert_outside_any_transaction_finds_and_updates_the_customer():
    """The lookup locks the customer's row, which needs a transaction: the upsert opens its
    own when its caller has none."""
    first = services.customer_upsert(email="grace@example.com")

    again = services.customer_upsert(email="grace@example.com", first_name="Grace")

    assert again.pk == first.pk
    assert Customer.objects.get(pk=first.pk).first_name == "Grace"
