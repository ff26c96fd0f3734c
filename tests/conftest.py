"""Test helpers that read like the shop: an API client with a key, an order event."""

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
import threading
from collections import Counter
from contextlib import contextmanager
from decimal import Decimal
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from rest_framework.test import APIClient

from customers import services
from kernel.memo import memo_scope


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request the test client sent with
    `Accept-Language: tr` leaves Turkish active in the thread (LocaleMiddleware sets it per
    request and nothing resets it between tests)."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _throttles_off(settings):
    """Every test client is 127.0.0.1, so counting its requests would tie tests together:
    throttles and login lockouts are off unless a test turns them on (tests/test_edge_*)."""
    settings.THROTTLE_RATES = {}
    settings.AXES_ENABLED = False


@pytest.fixture
def api_key(db):
    _, raw_key = services.api_key_create(name="Test shop")
    return raw_key


def api_client(raw_key: str) -> APIClient:
    """A DRF client authenticated as the shop's system with this key."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return client


@pytest.fixture
def api(api_key):
    return api_client(api_key)


@pytest.fixture
def anon_api():
    return APIClient()


def order_event(**overrides) -> dict:
    """A valid generic order event; override any field."""
    event = {
        "id": "1001",
        "name": "#1001",
        "status": "paid",
        "placed_at": "2026-11-01T10:00:00Z",
        "updated_at": "2026-11-01T10:05:00Z",
        "currency": "EUR",
        "total": "59.90",
        "refunded_total": "0.00",
        "customer": {"id": "c-1", "email": "Ada@Example.com", "first_name": "Ada",
                     "last_name": "Lovelace", "accepts_marketing": True},
        "lines": [{"sku": "SERUM-30", "name": "Serum 30 ml", "quantity": 2, "price": "29.95"}],
        "discount_codes": [],
        "referral_code": "",
    }
    event.update(overrides)
    return event


def post_event(client, event: dict, **headers):
    return client.post("/api/v1/events/orders/", data=json.dumps(event),
                       content_type="application/json", **headers)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def pytest_runtest_setup(item):
    engine = settings.DATABASES["default"]["ENGINE"]
    if item.get_closest_marker("postgres") and "postgresql" not in engine:
        pytest.skip("needs PostgreSQL: run with DATABASE_URL=postgres://...")
    if item.get_closest_marker("celery_worker") and not settings.CELERY_BROKER_URL:
        pytest.skip("needs a broker: run with CELERY_BROKER_URL=redis://...")


@pytest.fixture(autouse=True)
def _eager_celery(request):
    """Tasks run in-process unless a test asks for the real worker."""
    from config.celery import app

    if request.node.get_closest_marker("celery_worker"):
        yield
        return
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _no_wake_flag():
    """Each test starts with no deliveries task believed queued and no refund believed waiting
    (the flags live in the cache, which outlives a test: in this process, or in Redis)."""
    from django.core.cache import cache

    from customers.services.deliveries import WAITING_KEY, WAKE_KEY, deliveries_wake_forget

    cache.delete_many([WAKE_KEY, WAITING_KEY])
    deliveries_wake_forget()


def realistic_shop() -> None:
    """A shop with loyalty switched on, as a real one runs: points per euro, welcome points,
    tiers Member (0) and Gold (500), a referral program and a webhook subscriber."""
    from customers.models import SegmentSettings
    from loyalty.models import LoyaltyProgram
    from tests.factories import (
        ActivityRuleFactory,
        EarningRuleFactory,
        ReferralProgramFactory,
        TierFactory,
        WebhookSubscriptionFactory,
    )

    EarningRuleFactory(points_per_unit=Decimal("1"))
    ActivityRuleFactory(name="Welcome", activity_kind="customer_created", points=10)
    TierFactory(name="Member", position=1, threshold=Decimal("0"))
    TierFactory(name="Gold", position=2, threshold=Decimal("500"))
    ReferralProgramFactory()
    WebhookSubscriptionFactory(events=["loyalty.tier_changed", "customer.stage_changed"])
    LoyaltyProgram.get()
    SegmentSettings.get()


@contextmanager
def deliveries_held():
    """Deliveries received inside stay received (the worker's wake-ups are only counted, on
    the mock this yields), so a test can apply them together with deliveries_apply()."""
    with mock.patch("customers.tasks.deliveries_apply_task.apply_async") as wake_ups:
        yield wake_ups


def receive(event: dict, *, source: str = "generic", topic: str = "orders"):
    """Store a delivery as the API does, with its wake-up after commit."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return services.delivery_receive(
            source=source, topic=topic, headers={"Content-Type": "application/json"},
            body=json.dumps(event).encode(), content_type="application/json")


TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE)\s+"(\w+)"')


@pytest.fixture
def inserted_not_copied(monkeypatch):
    """Batches written by INSERT whatever their size (kernel.bulk.COPY_FROM out of reach), for
    the tests that compare a batch's statements with a larger batch's: from COPY_FROM rows
    PostgreSQL takes COPY's four statements instead of one INSERT, which would count as
    growth. The COPY path has tests of its own (tests/kernel/test_bulk.py) and carries every
    larger batch of the other tests."""
    monkeypatch.setattr("kernel.bulk.COPY_FROM", 10**9)


def statements_by_table(queries) -> Counter:
    """Captured statements by the table they read or write first; the others (savepoints,
    BEGIN, COMMIT) by their first word."""
    tables = Counter()
    for query in queries:
        match = TABLE.search(query["sql"])
        tables[match.group(1) if match else query["sql"].split()[0].upper()] += 1
    return tables


def post_signed(client, path: str, payload: dict, *, signature_header: str, secret: str,
                signature: str | None = None, **headers):
    """POST a webhook as Shopify and WooCommerce send one: the JSON body signed with the
    base64 HMAC-SHA256 of `secret` in `signature_header`, or with `signature` if given."""
    body = json.dumps(payload).encode()
    if signature is None:
        digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
        signature = base64.b64encode(digest).decode()
    return client.post(path, data=body, content_type="application/json",
                       **{signature_header: signature}, **headers)


def at_once(count: int, work) -> list:
    """Run work(i) in `count` real threads released together (a race, for PostgreSQL tests);
    each thread's result, or the error it raised, in order."""
    barrier = threading.Barrier(count, timeout=30)
    results: list = [None] * count

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as error:  # the test inspects every outcome
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    return results


# What every order event reads and nobody changes while a batch of deliveries is applied.
CONFIGURATION_TABLES = frozenset({
    "loyalty_earningrule", "loyalty_tier", "loyalty_loyaltyprogram", "customers_segmentrule",
    "referrals_referralprogram", "customers_webhooksubscription", "customers_segmentsettings",
    "customers_valuemodelfit",
})
READ_FROM = re.compile(r'\bFROM\s+"(\w+)"')


def configuration_reads(queries) -> int:
    """How many of the captured statements read a configuration table."""
    return sum(1 for query in queries
               if CONFIGURATION_TABLES & set(READ_FROM.findall(query["sql"])))


def assert_configuration_read_once_per_batch(apply, items) -> tuple[int, int]:
    """`apply` the first item inside a memo scope, as the batch worker does, then the others
    inside another: the configuration is read as often for the many as for the one (and at
    least once), and every further item costs exactly the first one's statements less those
    reads, so what is left per item is its own work. Returns (statements for the first item,
    statements for each further one)."""
    first, others = items[0], items[1:]
    with memo_scope(), CaptureQueriesContext(connection) as one:
        apply(first)
    with memo_scope(), CaptureQueriesContext(connection) as many:
        for item in others:
            apply(item)
    reads = configuration_reads(one)
    assert reads > 0, "nothing read the configuration: the test measures nothing"
    assert configuration_reads(many) == reads, [q["sql"] for q in many]
    each = len(one) - reads
    assert len(many) == len(one) + (len(others) - 1) * each, (len(one), len(many), reads)
    return len(one), each
