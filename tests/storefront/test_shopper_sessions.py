"""The shopper's own login: the shop's server signs {customer id, email, timestamp} with
HMAC-SHA256 and the storefront's secret (as LoyaltyLion's and Smile.io's embeds do); the widget
exchanges the signature once for a short-lived token bound to that customer."""

import datetime as dt
import hashlib
import hmac

import pytest
import time_machine
from rest_framework.test import APIClient

from customers.models import Customer, ExternalId
from loyalty import services as loyalty_services
from storefront.models import ShopperSignatureUse
from storefront.services import shopper_signature_uses_prune
from tests.factories import CustomerFactory, PublishableKeyFactory

pytestmark = pytest.mark.django_db

SHOP = "https://shop.example.com"
NOW = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)


def shop_signs(secret: str, customer_id: str, email: str, timestamp: int) -> str:
    """What the README's Python snippet does on the shop's server."""
    message = f"{customer_id}:{email.strip().lower()}:{timestamp}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


@pytest.fixture
def storefront():
    return PublishableKeyFactory(platform="shopify")


def widget(key) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key.key}", HTTP_ORIGIN=SHOP)
    return api


def exchange(key, *, customer_id="7708123", email="ada@example.com", timestamp=None,
             signature=None):
    timestamp = int(NOW.timestamp()) if timestamp is None else timestamp
    signature = signature or shop_signs(key.signing_secret, customer_id, email, timestamp)
    return widget(key).post("/api/v1/storefront/session/", {
        "customer_id": customer_id, "email": email, "timestamp": timestamp,
        "signature": signature}, format="json")


@time_machine.travel(NOW, tick=False)
def test_a_signed_shopper_gets_a_token_that_shows_their_own_balance(storefront):
    ada = CustomerFactory(email="ada@example.com")
    loyalty_services.points_award(customer=ada, points=240, key="welcome")

    session = exchange(storefront)
    token = session.json()["token"]
    boot = widget(storefront).get("/api/v1/storefront/bootstrap/", HTTP_X_FLYWHEEL_SHOPPER=token)

    assert session.status_code == 201
    assert session.json()["expires_at"].startswith("2026-12-05T13:00")
    assert boot.json()["shopper"]["balance"] == 240
    assert ExternalId.objects.get(customer=ada).external_id == "7708123"


@time_machine.travel(NOW, tick=False)
def test_a_shopper_flywheel_has_not_met_yet_is_created(storefront):
    response = exchange(storefront, customer_id="991", email="New.Shopper@Example.com")

    assert response.status_code == 201
    created = Customer.objects.get(email="new.shopper@example.com")
    assert created.external_ids.get().source == "shopify"


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("change", ["email", "customer_id", "secret", "garbage", "non-ASCII"])
def test_a_wrong_signature_is_refused(storefront, change):
    timestamp = int(NOW.timestamp())
    signature = shop_signs(storefront.signing_secret, "7708123", "ada@example.com", timestamp)
    if change == "email":
        response = exchange(storefront, email="eve@example.com", signature=signature)
    elif change == "customer_id":
        response = exchange(storefront, customer_id="1", signature=signature)
    elif change == "secret":
        response = exchange(storefront, signature=shop_signs(
            "another-shops-secret", "7708123", "ada@example.com", timestamp))
    elif change == "garbage":
        response = exchange(storefront, signature="not-hex")
    else:  # schemathesis found this one answered 500 (hmac compares ASCII text only)
        response = exchange(storefront, signature="é" * 64)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "signature_invalid"
    assert not Customer.objects.exists()


@pytest.mark.parametrize("age", [dt.timedelta(minutes=16), -dt.timedelta(minutes=3)])
def test_an_old_or_future_signature_is_refused(storefront, age):
    timestamp = int((NOW - age).timestamp())
    with time_machine.travel(NOW, tick=False):
        response = exchange(storefront, timestamp=timestamp)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "signature_expired"


@time_machine.travel(NOW, tick=False)
def test_a_replayed_signature_is_refused(storefront):
    first = exchange(storefront)
    again = exchange(storefront)

    assert first.status_code == 201
    assert again.status_code == 401
    assert again.json()["error"] == {
        "code": "signature_used", "fields": {},
        "message": "This shopper signature was already used; reload the page."}


def test_another_storefronts_signature_or_token_is_refused(storefront):
    other = PublishableKeyFactory(name="Outlet")
    with time_machine.travel(NOW, tick=False):
        token = exchange(storefront).json()["token"]
        elsewhere = widget(other).get("/api/v1/storefront/bootstrap/",
                                      HTTP_X_FLYWHEEL_SHOPPER=token)

    assert elsewhere.status_code == 401
    assert elsewhere.json()["error"]["code"] == "shopper_token_invalid"


def test_the_token_expires_after_an_hour(storefront):
    with time_machine.travel(NOW, tick=False):
        token = exchange(storefront).json()["token"]
    with time_machine.travel(NOW + dt.timedelta(minutes=59), tick=False):
        fresh = widget(storefront).get("/api/v1/storefront/bootstrap/",
                                       HTTP_X_FLYWHEEL_SHOPPER=token)
    with time_machine.travel(NOW + dt.timedelta(minutes=61), tick=False):
        stale = widget(storefront).get("/api/v1/storefront/bootstrap/",
                                       HTTP_X_FLYWHEEL_SHOPPER=token)

    assert fresh.status_code == 200
    assert stale.status_code == 401
    assert stale.json()["error"]["code"] == "shopper_token_invalid"


@time_machine.travel(NOW, tick=False)
def test_a_forged_token_is_refused(storefront):
    response = widget(storefront).get("/api/v1/storefront/bootstrap/",
                                      HTTP_X_FLYWHEEL_SHOPPER="eyJjIjoxfQ:forged:sig")

    assert response.status_code == 401


@time_machine.travel(NOW, tick=False)
def test_an_erased_customers_token_stops_working(storefront):
    from customers.services import customer_erase

    token = exchange(storefront).json()["token"]
    customer_erase(customer=Customer.objects.get(email="ada@example.com"))

    response = widget(storefront).get("/api/v1/storefront/bootstrap/",
                                      HTTP_X_FLYWHEEL_SHOPPER=token)

    assert response.status_code == 401


def test_missing_fields_are_named(storefront):
    response = widget(storefront).post("/api/v1/storefront/session/", {"email": "x"},
                                       format="json")

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"customer_id", "email", "timestamp",
                                                       "signature"}


def test_old_exchanges_are_forgotten_once_they_would_be_refused_anyway(storefront):
    with time_machine.travel(NOW, tick=False):
        exchange(storefront)

    assert shopper_signature_uses_prune(now=NOW + dt.timedelta(minutes=10)) == 0
    assert shopper_signature_uses_prune(now=NOW + dt.timedelta(minutes=18)) == 1
    assert not ShopperSignatureUse.objects.exists()
