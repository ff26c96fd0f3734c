"""Storefront test fixtures: a local shop platform, a connection to it, a fixed clock, and
redeeming with the after-commit work run (the code's push included)."""

import pytest
import time_machine

from loyalty import services as loyalty
from storefront.models import PlatformConnection
from tests.config.conftest import throttled  # noqa: F401 (the edge's throttle fixture)
from tests.storefront.platform_server import CK, CS, NOW, TOKEN, running


@pytest.fixture
def platform():
    with running() as state:
        yield state


@pytest.fixture(autouse=True)
def _clock(settings):
    settings.SHOP_CURRENCY = "EUR"
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def shopify(platform):
    PlatformConnection.objects.update_or_create(pk=1, defaults={
        "platform": "shopify", "shop_url": platform.url, "access_token": TOKEN,
        "shopify_api_version": "2026-10"})
    return platform


@pytest.fixture
def woo(platform):
    PlatformConnection.objects.update_or_create(pk=1, defaults={
        "platform": "woocommerce", "shop_url": platform.url, "consumer_key": CK,
        "consumer_secret": CS})
    return platform


@pytest.fixture
def redeem(django_capture_on_commit_callbacks):
    def redeem(customer, reward):
        with django_capture_on_commit_callbacks(execute=True):
            return loyalty.redemption_create(customer=customer, reward=reward)
    return redeem
