"""The corpus of real payloads (fixtures/corpus/, each file naming the public source it follows)
replayed through the real webhook and API endpoints with real signatures: twice in order, then
shuffled, every run ends in the same shop (see outcome.py for what "the same" compares), no
valid delivery is answered with a non-2xx, and the ledger audit passes."""

import json
import random
from pathlib import Path

import pytest
from django.db import transaction
from django.test import TestCase

from customers.models import Order, WebhookDelivery
from tests.conftest import post_event, post_signed, realistic_shop
from tests.customers.outcome import points_of, shop_outcome
from tests.loyalty.conftest import audit

pytestmark = pytest.mark.django_db

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
SECRET = "corpus-secret"
SIGNATURE = {"shopify": "HTTP_X_SHOPIFY_HMAC_SHA256", "woocommerce": "HTTP_X_WC_WEBHOOK_SIGNATURE"}


def corpus() -> list[dict]:
    """Every delivery of every corpus file, in the order each file lists them."""
    deliveries = []
    for path in sorted(CORPUS.glob("*.json")):
        scenario = json.loads(path.read_text())
        assert scenario["source"], f"{path.name} must name the public source it follows"
        deliveries += [dict(d, platform=scenario["platform"], file=path.name)
                       for d in scenario["deliveries"]]
    return deliveries


def deliver(api, anon_api, delivery: dict):
    """POST one delivery as its platform sends it, and let the worker apply it."""
    headers = {f"HTTP_{name.upper().replace('-', '_')}": value
               for name, value in delivery["headers"].items()}
    with TestCase.captureOnCommitCallbacks(execute=True):
        if delivery["platform"] == "generic":
            return post_event(api, delivery["body"], **headers)
        return post_signed(anon_api, f"/api/v1/webhooks/{delivery['platform']}/",
                           delivery["body"], signature_header=SIGNATURE[delivery["platform"]],
                           secret=SECRET, **headers)


def replay(api, anon_api, deliveries, times: int = 1) -> dict:
    """Deliver each in turn (`times` over), checking every answer is a 2xx; the outcome."""
    for _ in range(times):
        for delivery in deliveries:
            response = deliver(api, anon_api, delivery)
            assert 200 <= response.status_code < 300, (delivery["file"], response.json())
    audit()
    assert not WebhookDelivery.objects.filter(
        status__in=[WebhookDelivery.Status.FAILED, WebhookDelivery.Status.WAITING]).exists()
    return shop_outcome()


def in_a_rolled_back_shop(run):
    """Run in a savepoint that is rolled back, so the next run starts from the same shop."""
    with transaction.atomic():
        result = run()
        transaction.set_rollback(True)
    return result


@pytest.fixture
def corpus_shop(settings):
    settings.SHOP_CURRENCY = "USD"
    settings.SHOPIFY_WEBHOOK_SECRET = settings.WOOCOMMERCE_WEBHOOK_SECRET = SECRET
    realistic_shop()


def test_the_corpus_replayed_twice_in_order_and_shuffled_ends_in_the_same_shop(
        corpus_shop, api, anon_api):
    deliveries = corpus()
    once = in_a_rolled_back_shop(lambda: replay(api, anon_api, deliveries))
    twice = in_a_rolled_back_shop(lambda: replay(api, anon_api, deliveries, times=2))
    shuffles = []
    for seed in range(3):
        shuffled = deliveries[:]
        random.Random(seed).shuffle(shuffled)
        shuffles.append(in_a_rolled_back_shop(lambda s=shuffled: replay(api, anon_api, s)))

    assert twice == once
    for outcome in shuffles:
        assert outcome["orders"] == once["orders"]
        assert outcome["customers"] == once["customers"]
        assert outcome["ledger"] == once["ledger"]


def test_the_corpus_ends_with_points_only_on_money_that_stayed(corpus_shop, api, anon_api):
    outcome = replay(api, anon_api, corpus())

    orders, ledger = outcome["orders"], outcome["ledger"]

    def kept(customer: str, order: str) -> int:
        return sum(points for key, _kind, points in ledger[customer]["entries"]
                   if key.startswith(f"order:{order}:"))

    # WooCommerce 723: 39.00 first seen with 19.00 refunded keeps the points of 20.00.
    joao = orders["woocommerce", "723"]["customer"]
    assert joao == "joao.silva@example.com joao@silva-trabalho.example.com"
    assert kept(joao, "woocommerce:723") == 20
    # Shopify 450789469: refunded 209.00 before its payment was seen; paid, and earned on it.
    bob = "bob.norman@hostmail.com"
    assert orders["shopify", "450789469"]["fields"][1] == Order.Status.PARTIALLY_REFUNDED
    assert ("order:shopify:450789469:earn", "earn", 409) in ledger[bob]["entries"]
    assert kept(bob, "shopify:450789469") == 409 - 208
    assert ("order_paid", "order:shopify:450789469:paid") in outcome["customers"][bob]["timeline"]
    # Shopify #1042, refunded in full and cancelled, keeps nothing of its 104 points.
    assert kept("grace@example.com orders@example.com", "shopify:731928460215573910") == 0
    # The JPY order can't be converted: counted, earns nothing; the GBP one earns on its
    # total in the shop's currency, less the refunded quarter.
    assert orders["generic", "G-5002"]["fields"][6] is None
    mei = "mei.chen@example.com"
    assert outcome["customers"][mei]["stats"][0] == 3
    assert kept(mei, "generic:G-5002") == 0
    assert kept(mei, "generic:G-5001") == 101 - 25
    assert points_of(outcome, mei) == 10 + 101 - 25  # with the welcome points
