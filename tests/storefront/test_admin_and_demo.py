"""Staff set a storefront up in admin; the demo shop signs its shopper as a real shop would."""

import io
import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from storefront.models import PublishableKey
from storefront.views import DEMO_KEY_NAME
from tests.factories import CustomerFactory, PublishableKeyFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:storefront_publishablekey_changelist")


def test_staff_add_a_storefront_and_get_its_keys(admin_client):
    response = admin_client.post(reverse("admin:storefront_publishablekey_add"), {
        "name": "Main shop", "platform": "shopify",
        "allowed_origins": "https://shop.example.com\nhttps://www.shop.example.com",
        "signup_url": "", "login_url": "", "add_to_cart_url": "", "launcher_text_en": "",
        "position": "end", "accent_colour": "#1a56db", "text_colour": "#111827",
        "background_colour": "#ffffff", "font_family": ""})

    key = PublishableKey.objects.get()
    assert response.status_code == 302
    assert key.key.startswith("pk_")
    assert len(key.signing_secret) == 64
    assert key.origins == ["https://shop.example.com", "https://www.shop.example.com"]
    page = admin_client.get(reverse("admin:storefront_publishablekey_change", args=[key.pk]))
    assert key.signing_secret in page.content.decode()


def test_a_colour_that_is_not_a_colour_is_refused(admin_client):
    response = admin_client.post(reverse("admin:storefront_publishablekey_add"), {
        "name": "Main shop", "platform": "generic", "position": "end",
        "accent_colour": "red;}body{display:none", "text_colour": "#111827",
        "background_colour": "#ffffff"})

    assert response.status_code == 200
    assert not PublishableKey.objects.exists()


def test_an_origin_with_a_path_is_refused(admin_client):
    response = admin_client.post(reverse("admin:storefront_publishablekey_add"), {
        "name": "Main shop", "platform": "generic", "position": "end",
        "allowed_origins": "https://shop.example.com/products", "accent_colour": "#1a56db",
        "text_colour": "#111827", "background_colour": "#ffffff"})

    assert "An origin is a scheme and a host" in response.content.decode()
    assert not PublishableKey.objects.exists()


def test_rotating_the_secret_is_confirmed_first(admin_client):
    key = PublishableKeyFactory()
    data = {"action": "rotate_secret", "_selected_action": [key.pk]}

    asked = admin_client.post(CHANGELIST, data)
    unchanged = PublishableKey.objects.get().signing_secret
    admin_client.post(CHANGELIST, {**data, "post": "yes"})

    assert "Make new signing secrets?" in asked.content.decode()
    assert unchanged == key.signing_secret
    assert PublishableKey.objects.get().signing_secret != key.signing_secret


def test_staff_find_storefronts_by_origin(admin_client):
    PublishableKeyFactory(name="Outlet", allowed_origins="https://outlet.example.org")
    PublishableKeyFactory(name="Main")

    page = admin_client.get(CHANGELIST, {"q": "outlet.example"}).content.decode()

    assert "Outlet" in page and ">Main<" not in page


def test_the_demo_seed_is_idempotent():
    call_command("seed_demo_storefront", stdout=io.StringIO())
    call_command("seed_demo_storefront", stdout=io.StringIO())

    key = PublishableKey.objects.get(name=DEMO_KEY_NAME)
    assert "http://127.0.0.1:8000" in key.origins


def test_the_demo_shop_signs_its_shopper_like_a_real_shop(client, settings):
    settings.DEMO_SHOP = True
    call_command("seed_demo_storefront", stdout=io.StringIO())
    CustomerFactory(email="shopper@flywheel.local")

    guest = client.get("/demo-shop/").content.decode()
    client.post("/demo-shop/login/", {"action": "login"})
    signed = client.get("/demo-shop/").content.decode()

    assert "data-signature" not in guest
    attrs = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', signed))
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {attrs['key']}")
    session = api.post("/api/v1/storefront/session/", {
        "customer_id": attrs["customer-id"], "email": attrs["email"],
        "timestamp": int(attrs["timestamp"]), "signature": attrs["signature"]}, format="json")
    assert session.status_code == 201


def test_the_demo_shop_is_off_unless_asked_for(client, settings):
    settings.DEMO_SHOP = False
    call_command("seed_demo_storefront", stdout=io.StringIO())

    assert client.get("/demo-shop/").status_code == 404
