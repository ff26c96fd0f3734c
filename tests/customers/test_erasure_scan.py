"""Erasure that reaches every table: a customer who came in through every path Flywheel has
(the API, Shopify's and WooCommerce's webhooks, a quiz, a referral both ways, an NPS survey
with a follow-up, e-mails, staff's admin log) is erased, then every text and JSON column of
every table is read for their email, name, phone and street address.

The webhook bodies are the example payloads of Shopify's webhook reference (orders/create) and
WooCommerce's REST API order (tests/customers/fixtures), with the person in them replaced."""

import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models

from customers import services
from customers.models import Customer, CustomerEmail, Order, OutboxEmail, WebhookDelivery
from customers.selectors import customer_export
from loyalty.models import PointsEntry
from quizzes.responses import services as quiz_services
from referrals import services as referral_services
from referrals.nps import services as nps_services
from referrals.nps.models import NpsFollowUp
from tests.conftest import order_event, post_event, post_signed, realistic_shop
from tests.factories import (
    CustomerFactory,
    QuizVersionFactory,
    RewardFactory,
    UserFactory,
    skin_quiz_definition,
)

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
SECRET = "test-secret"
EMAIL = "zenobia.quistgaard@example.net"
ORDER_EMAIL = "zq.orders@example.net"
FIRST, LAST = "Zenobia", "Quistgaard"
PHONE, STREET = "555-555-0142", "12 Harbour Road"
NEEDLES = (EMAIL, ORDER_EMAIL, FIRST, LAST, PHONE, STREET)


def as_zenobia(name: str, replacements: dict[str, str]) -> dict:
    text = (FIXTURES / name).read_text()
    for old, new in replacements.items():
        text = text.replace(old, new)
    return json.loads(text)


def seed_through_every_path(api, anon_api, capture, settings) -> Customer:
    settings.SHOPIFY_WEBHOOK_SECRET = settings.WOOCOMMERCE_WEBHOOK_SECRET = SECRET
    settings.EMAIL_BACKEND = "customers.outbox.OutboxBackend"  # e-mails kept in a table
    realistic_shop()
    ada = CustomerFactory(email="ada@example.com", first_name="Ada")
    ada_code = referral_services.referral_code_get_or_create(customer=ada)
    with capture(execute=True):
        # Referred by Ada: the sign-up page's form.
        referral_services.referral_signup(code=ada_code, email=EMAIL, name=FIRST,
                                          ip="203.0.113.7", user_agent="Mozilla/5.0")
        # The shop's system through the API: the profile, then a generic order event.
        api.post("/api/v1/customers/", {"email": EMAIL, "first_name": FIRST,
                                        "last_name": LAST}, format="json")
        post_event(api, order_event(id="G-1", name="#G1", customer={
            "id": "g-77", "email": EMAIL, "first_name": FIRST, "last_name": LAST,
            "accepts_marketing": True}))
        # Shopify, with a different order email (a known email), and WooCommerce.
        shopify = as_zenobia("shopify_orders_create.json", {
            "grace@example.com": EMAIL, "orders@example.com": ORDER_EMAIL,
            "Grace": FIRST, "Hopper": LAST})
        shopify.update(test=False, cancelled_at=None, cancel_reason=None,
                       financial_status="paid")
        settings.SHOP_CURRENCY = "USD"
        post_signed(anon_api, "/api/v1/webhooks/shopify/", shopify,
                    signature_header="HTTP_X_SHOPIFY_HMAC_SHA256", secret=SECRET,
                    HTTP_X_SHOPIFY_TOPIC="orders/create", HTTP_X_SHOPIFY_EVENT_ID="e-1",
                    HTTP_X_SHOPIFY_SHOP_DOMAIN="flywheel-demo.myshopify.com")
        woo = as_zenobia("woocommerce_order.json", {
            "Ada@Example.com": EMAIL.upper(), '"Ada"': f'"{FIRST}"', "Lovelace": LAST,
            "(555) 555-0199": PHONE})
        post_signed(anon_api, "/api/v1/webhooks/woocommerce/", woo,
                    signature_header="HTTP_X_WC_WEBHOOK_SIGNATURE", secret=SECRET,
                    HTTP_X_WC_WEBHOOK_TOPIC="order.created", HTTP_X_WC_WEBHOOK_DELIVERY_ID="w-1",
                    HTTP_X_WC_WEBHOOK_SOURCE="https://shop.example.com/")
    customer = Customer.objects.get(email=EMAIL)
    with capture(execute=True):
        services.account_signup(email=EMAIL, password="a-long-passw0rd", first_name=FIRST,
                                last_name=LAST, accepts_marketing=True)
        # A quiz, with their email and a typed answer.
        definition = skin_quiz_definition()
        definition["questions"][3]["next"] = "q5"
        definition["questions"].append({
            "key": "q5", "text": "What should we call you?", "help_text": "", "kind": "text",
            "required": False, "attribute": "nickname", "max_choices": None, "next": None,
            "choices": []})
        response = quiz_services.quiz_response_start(
            version=QuizVersionFactory(definition=definition))
        quiz_services.quiz_response_answer_many(
            response=response, consent=True,
            raw_answers={"q1": "c2", "q3": ["c6"], "q4": EMAIL, "q5": f"{FIRST} {LAST}"})
        # Their own link, which Lena signs up through.
        code = referral_services.referral_code_get_or_create(customer=customer)
        referral_services.referral_signup(code=code, email="lena@example.org", name="Lena",
                                          ip="198.51.100.9", user_agent="Mozilla/5.0 Lena")
        # An NPS survey e-mail, a detractor's answer naming them, and staff's notes.
        order = Order.objects.filter(customer=customer).order_by("pk").first()
        invitation = nps_services.nps_invitation_create(order=order)
        answer, _created = nps_services.nps_answer_record(invitation=invitation, score=2)
        nps_services.nps_comment_add(response=answer,
                                     comment=f"{FIRST} here: my parcel to {STREET} was late")
        staff = UserFactory(is_staff=True)
        nps_services.nps_follow_up_update(follow_up=NpsFollowUp.objects.get(customer=customer),
                                          by=staff, notes=f"Called {FIRST} {LAST} on {PHONE}")
        # A voucher bought with points, and the e-mail it sends.
        from loyalty import services as loyalty_services

        account = loyalty_services.loyalty_account_get_or_create(customer=customer)
        loyalty_services.points_adjust(account=account, amount=500, by=staff,
                                       reason="Goodwill", key="test:goodwill")
        loyalty_services.redemption_create(customer=customer,
                                           reward=RewardFactory(cost=100, name="€5 off"))
    LogEntry.objects.create(
        user=staff, content_type=ContentType.objects.get_for_model(Customer),
        object_id=str(customer.pk), object_repr=str(customer), action_flag=CHANGE,
        change_message=json.dumps([{"changed": {"fields": ["First name"]}}]))
    return customer


def rows_naming(needles) -> list[tuple[str, str, str]]:
    """(table, column, value) for every text, JSON or raw-bytes value in the database holding a
    needle."""
    needles = [n.lower() for n in needles]
    found = []
    for model in apps.get_models(include_auto_created=True):
        fields = [f for f in model._meta.concrete_fields
                  if isinstance(f, models.CharField | models.TextField | models.JSONField
                                | models.BinaryField)]
        for field in fields:
            for value in model._default_manager.values_list(field.attname, flat=True):
                if isinstance(field, models.JSONField):
                    text = json.dumps(value, ensure_ascii=False, default=str)
                elif isinstance(field, models.BinaryField):  # raw bodies kept as bytes
                    text = bytes(value or b"").decode("utf-8", "ignore")
                else:
                    text = str(value or "")
                if any(needle in text.lower() for needle in needles):
                    found.append((model._meta.db_table, field.column, text[:120]))
    return found


def test_after_erasure_no_table_names_the_customer_and_the_books_still_add_up(
        api, anon_api, django_capture_on_commit_callbacks, settings):
    customer = seed_through_every_path(api, anon_api, django_capture_on_commit_callbacks,
                                       settings)
    assert CustomerEmail.objects.filter(customer=customer, email=ORDER_EMAIL).exists()
    assert WebhookDelivery.objects.filter(body__icontains=EMAIL).count() == 3  # API, Shopify, Woo
    seeded = rows_naming(NEEDLES)
    tables = {table for table, _column, _value in seeded}
    assert {"customers_customer", "customers_webhookdelivery", "quizzes_quizanswer",
            "quizzes_quizresponse", "referrals_referral", "referrals_npsresponse",
            "referrals_npsfollowup", "django_admin_log", "customers_outboxemail"} <= tables, tables
    assert OutboxEmail.objects.filter(to=EMAIL).count() >= 3  # welcome, points, NPS...
    orders, entries = Order.objects.count(), PointsEntry.objects.count()
    total = sum(o.total for o in Order.objects.all())

    services.customer_erase(customer=customer)

    assert rows_naming(NEEDLES) == []
    assert (Order.objects.count(), PointsEntry.objects.count()) == (orders, entries)
    assert sum(o.total for o in Order.objects.all()) == total > Decimal("0")


def test_the_export_holds_every_part_of_the_customer(
        api, anon_api, django_capture_on_commit_callbacks, settings):
    customer = seed_through_every_path(api, anon_api, django_capture_on_commit_callbacks,
                                       settings)

    export = customer_export(customer=customer)

    assert export["customer"]["email"] == EMAIL
    assert {e["email"] for e in export["known_emails"]} == {ORDER_EMAIL}
    assert [c["accepts_marketing"] for c in export["consent_history"]][-1] is True
    assert [e["points"] for e in export["loyalty"]["ledger"] if e["reason"] == "Goodwill"] \
        == [500]
    assert "€5 off" in [v["reward"] for v in export["loyalty"]["vouchers"]]
    quiz = export["quiz_responses"][0]
    assert {"question": "What's your skin type?", "choices": ["Dry"]}.items() \
        <= quiz["answers"][0].items()
    assert quiz["answers"][-1]["value"] == f"{FIRST} {LAST}"
    assert [r["status"] for r in export["referrals_made"]] == ["signed_up"]
    assert export["referrals_made"][0]["friend"] == "Lena"
    assert export["referrals_received"][0]["email"] == EMAIL
    assert export["nps_answers"][0]["score"] == 2
    assert export["nps_answers"][0]["comment"].startswith(FIRST)
    assert export["nps_follow_ups"][0]["notes"].startswith("Called")
    assert "stage" in (export["score"] or {"stage": None})
    json.dumps(export)  # all of it serialisable as the download is
