"""Staff admin for customers, as a staff member clicks through it."""

import html
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers import services
from customers.models import ApiKey, Order, User, WebhookDelivery
from customers.services import api_key_authenticate
from customers.services.api_keys import hash_key
from tests.conftest import order_event
from tests.factories import (
    ActivityFactory,
    ApiKeyFactory,
    AttributeFactory,
    CustomerFactory,
    ExternalIdFactory,
    OrderFactory,
    OrderLineFactory,
    RefundFactory,
    UserFactory,
    WebhookDeliveryFactory,
)

pytestmark = pytest.mark.django_db


def url(model: str, view: str, *args) -> str:
    return reverse(f"admin:customers_{model}_{view}", args=args)


def action(admin_client, model: str, name: str, objects, *, confirm: bool):
    data = {"action": name, "_selected_action": [obj.pk for obj in objects]}
    if confirm:
        data["post"] = "yes"
    return admin_client.post(url(model, "changelist"), data)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def shop():
    """A customer with a bit of everything on their profile."""
    customer = CustomerFactory(email="ada@example.com", first_name="Ada", last_name="Lovelace")
    ExternalIdFactory(customer=customer, source="shopify", external_id="gid-4242")
    order = OrderFactory(customer=customer, name="#1001", external_id="1001")
    OrderLineFactory(order=order, name="Vitamin C Serum")
    RefundFactory(order=order, external_id="r-1")
    AttributeFactory(customer=customer, key="skin_type", value="oily")
    ActivityFactory(customer=customer, reference="#1001")
    delivery = WebhookDeliveryFactory(body=json.dumps(order_event()), order=order,
                                      headers={"Content-Type": "application/json"})
    api_key = ApiKeyFactory(name="Shopify")
    return {"customer": customer, "order": order, "webhookdelivery": delivery,
            "apikey": api_key, "user": UserFactory(email="sam@example.com")}


@pytest.mark.parametrize("model", ["customer", "order", "webhookdelivery", "apikey", "user"])
def test_each_changelist_and_change_page_opens(admin_client, shop, model):
    assert admin_client.get(url(model, "changelist")).status_code == 200
    assert admin_client.get(url(model, "change", shop[model].pk)).status_code == 200


def test_the_customer_page_shows_ids_orders_answers_and_activity(admin_client, shop):
    response = admin_client.get(url("customer", "change", shop["customer"].pk))

    page = response.content.decode()
    assert "gid-4242" in page
    assert url("order", "change", shop["order"].pk) in page
    assert "oily" in page
    assert "Order paid" in page


def test_the_customer_page_costs_the_same_queries_however_long_the_history(admin_client):
    customer = CustomerFactory()

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(url("customer", "change", customer.pk)).status_code == 200
        return len(captured)

    OrderFactory(customer=customer)
    ActivityFactory(customer=customer)
    queries()  # the first request also fills Django's content type cache
    short = queries()
    OrderFactory.create_batch(10, customer=customer)
    ActivityFactory.create_batch(10, customer=customer)

    assert queries() == short


def test_orders_and_deliveries_cannot_be_added_or_edited(admin_client, shop):
    assert admin_client.get(url("order", "add")).status_code == 403
    assert admin_client.get(url("webhookdelivery", "add")).status_code == 403
    response = admin_client.post(url("order", "change", shop["order"].pk), {"total": "1.00"})
    assert response.status_code == 403
    shop["order"].refresh_from_db()
    assert str(shop["order"].total) == "50.00"


def test_search_by_external_id_finds_the_customer(admin_client, shop):
    CustomerFactory(email="someone@example.com")

    response = admin_client.get(url("customer", "changelist"), {"q": "gid-4242"})

    assert list(response.context["cl"].result_list) == [shop["customer"]]


def test_filters_by_account_and_external_id_source(admin_client, shop):
    with_account = CustomerFactory(user=UserFactory())

    has_account = admin_client.get(url("customer", "changelist"), {"has_account": "yes"})
    from_shopify = admin_client.get(url("customer", "changelist"),
                                    {"external_ids__source__exact": "shopify"})

    assert list(has_account.context["cl"].result_list) == [with_account]
    assert list(from_shopify.context["cl"].result_list) == [shop["customer"]]


def test_staff_changing_consent_records_it_with_its_source(admin_client):
    customer = CustomerFactory(email="bo@example.com", first_name="Bo", last_name="")
    ActivityFactory.create_batch(3, customer=customer)
    data = {"email": "Bo@Example.com", "first_name": "Bo", "last_name": "Berg", "birthday": "",
            "locale": "", "user": "", "accepts_marketing": "on"}
    page = admin_client.get(url("customer", "change", customer.pk))
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form.initial
        data.update({f"{formset.prefix}-{k}": v for k, v in management.items()})
        for form in formset.initial_forms:
            data[f"{form.prefix}-id"] = form.instance.pk
            data[f"{form.prefix}-customer"] = customer.pk

    response = admin_client.post(url("customer", "change", customer.pk), data)

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.email == "bo@example.com"
    assert customer.last_name == "Berg"
    assert customer.accepts_marketing is True
    assert customer.marketing_consent_source == "staff"
    assert customer.activities.filter(kind="consent_changed").count() == 1


def test_erase_asks_for_confirmation_then_anonymises(admin_client, shop):
    customer = shop["customer"]

    confirm = action(admin_client, "customer", "erase_personal_data", [customer], confirm=False)
    customer.refresh_from_db()
    assert confirm.status_code == 200
    assert "ada@example.com" in confirm.content.decode()
    assert customer.erased_at is None

    done = action(admin_client, "customer", "erase_personal_data", [customer], confirm=True)

    assert done.status_code == 302
    customer.refresh_from_db()
    assert customer.email == f"erased-{customer.pk}@invalid"
    assert customer.first_name == "" and customer.erased_at is not None
    assert customer.attributes.count() == 0 and customer.external_ids.count() == 0
    assert customer.orders.count() == 1


def test_reprocess_confirms_then_applies_failed_deliveries_and_skips_the_rest(
    admin_client, shop, django_capture_on_commit_callbacks
):
    failed = WebhookDeliveryFactory(
        status=WebhookDelivery.Status.FAILED, error="order_unknown: not yet",
        body=json.dumps(order_event(id="2002", name="#2002")),
        headers={"Content-Type": "application/json"},
    )
    processed = shop["webhookdelivery"]
    processed.status = WebhookDelivery.Status.PROCESSED
    processed.save()

    confirm = action(admin_client, "webhookdelivery", "reprocess_failed", [failed, processed],
                     confirm=False)
    assert confirm.status_code == 200
    assert "will be skipped" in confirm.content.decode()
    failed.refresh_from_db()
    assert failed.status == WebhookDelivery.Status.FAILED

    with django_capture_on_commit_callbacks(execute=True):
        done = action(admin_client, "webhookdelivery", "reprocess_failed", [failed, processed],
                      confirm=True)

    failed.refresh_from_db()
    assert failed.status == WebhookDelivery.Status.PROCESSED
    assert failed.order == Order.objects.get(external_id="2002")
    shown = messages_of(admin_client.get(done.url))
    assert "1 delivery was reprocessed." in shown
    assert "1 delivery was skipped because it had not failed." in shown


def test_a_delivery_page_shows_the_body_pretty_printed(admin_client, shop):
    response = admin_client.get(url("webhookdelivery", "change", shop["webhookdelivery"].pk))

    assert '\n  "name": "#1001",\n' in html.unescape(response.content.decode())


def test_adding_an_api_key_shows_it_once_and_keeps_only_its_hash(admin_client):
    response = admin_client.post(url("apikey", "add"), {"name": "Storefront"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "won’t be shown again" in page
    api_key = ApiKey.objects.get(name="Storefront")
    raw_key = next(word for word in page.replace('"', " ").split() if word.startswith("sk_"))
    assert api_key.hashed_key == hash_key(raw_key)
    change_page = admin_client.get(url("apikey", "change", api_key.pk)).content.decode()
    assert raw_key not in change_page
    assert api_key.hashed_key not in change_page


def test_revoke_asks_for_confirmation_then_revokes(admin_client):
    api_key, raw_key = services.api_key_create(name="Old storefront")

    confirm = action(admin_client, "apikey", "revoke_selected", [api_key], confirm=False)
    api_key.refresh_from_db()
    assert confirm.status_code == 200 and api_key.is_active

    action(admin_client, "apikey", "revoke_selected", [api_key], confirm=True)

    api_key.refresh_from_db()
    assert not api_key.is_active
    assert api_key_authenticate(raw_key=raw_key) is None


def test_staff_add_a_login_with_email_and_password(admin_client):
    response = admin_client.post(url("user", "add"), {
        "email": "New.Staff@Example.com", "usable_password": "true",
        "password1": "a-long-enough-pass-42", "password2": "a-long-enough-pass-42",
    })

    assert response.status_code == 302
    user = User.objects.get(email="new.staff@example.com")
    assert user.check_password("a-long-enough-pass-42")


def test_customer_list_shows_stats(admin_client, shop):
    customer = shop["customer"]
    services.customer_stats_refresh(customer=customer)

    response = admin_client.get(url("customer", "changelist"))

    page = response.content.decode()
    assert "Ada Lovelace" in page
    assert "50.00" in page
