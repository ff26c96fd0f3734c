"""`field__any`: the batch services' IN, one array parameter on PostgreSQL (kernel.lookups)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Activity, Customer, Order
from tests.factories import ActivityFactory, CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db


def test_any_selects_what_in_selects_for_ids_texts_and_foreign_keys():
    ada, bob, cy = CustomerFactory.create_batch(3)
    OrderFactory(customer=ada)
    OrderFactory(customer=cy)
    OrderFactory(customer=bob)
    emails = [ada.email, cy.email, "nobody@example.com", None]
    pks = [ada.pk, cy.pk, cy.pk, 10**12]

    assert set(Customer.objects.filter(email__any=emails)) == {ada, cy}
    assert set(Customer.objects.filter(pk__any=pks)) == {ada, cy}
    # A foreign key takes pks or objects, as __in does; a subquery too.
    by_pk = set(Order.objects.filter(customer__any=[ada.pk, cy.pk]))
    assert by_pk == set(Order.objects.filter(customer__in=[ada.pk, cy.pk]))
    assert len(by_pk) == 2
    assert set(Order.objects.filter(customer__any=[ada, cy])) == by_pk
    assert set(Order.objects.filter(customer_id__any={ada.pk, cy.pk})) == by_pk
    wanted = Customer.objects.filter(pk__in=[ada.pk, cy.pk])
    assert set(Order.objects.filter(customer__any=wanted)) == by_pk


def test_any_of_nothing_selects_nothing_without_a_query():
    CustomerFactory()
    with CaptureQueriesContext(connection) as queries:
        assert list(Customer.objects.filter(pk__any=[])) == []
        assert list(Customer.objects.filter(email__any=[None])) == []
    assert len(queries) == 0


def test_keys_with_quotes_and_commas_are_matched_exactly():
    """An array's values are quoted by psycopg, not by hand."""
    odd = ActivityFactory(key='order:shopify:1,"2"}{:paid')
    ActivityFactory(key="order:shopify:1")
    assert list(Activity.objects.filter(key__any=[odd.key, "order:shopify:2"])) == [odd]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's array parameter")
def test_on_postgresql_the_values_are_one_array_parameter():
    customers = CustomerFactory.create_batch(3)
    with CaptureQueriesContext(connection) as queries:
        found = list(Customer.objects.filter(pk__any=[c.pk for c in customers]))
    assert len(found) == 3
    assert "= ANY(" in queries[0]["sql"]
    assert "IN (" not in queries[0]["sql"]
