"""API keys as a shop's system uses them: accepted, refused, and when they were last used."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers import services
from customers.models import ApiKey
from tests.conftest import api_client

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 22, 18, 0, tzinfo=dt.UTC)


def test_a_key_is_accepted_and_its_first_use_noted():
    api_key, raw_key = services.api_key_create(name="Shopify")

    with time_machine.travel(NOW, tick=False):
        found = services.api_key_authenticate(raw_key=raw_key)

    assert found == api_key
    assert found.name == "Shopify"
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at == NOW


def test_use_is_noted_at_most_once_a_minute(settings):
    settings.API_KEY_CACHE_SECONDS = 0  # every request looks its key up
    api_key, raw_key = services.api_key_create(name="Shopify")
    with time_machine.travel(NOW, tick=False):
        services.api_key_authenticate(raw_key=raw_key)

    with (time_machine.travel(NOW + dt.timedelta(seconds=30), tick=False),
          CaptureQueriesContext(connection) as soon_after):
        services.api_key_authenticate(raw_key=raw_key)
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at == NOW
    assert len(soon_after) == 1  # the lookup, no write

    with time_machine.travel(NOW + dt.timedelta(minutes=2), tick=False):
        services.api_key_authenticate(raw_key=raw_key)
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at == NOW + dt.timedelta(minutes=2)


def test_a_known_prefix_with_the_wrong_secret_is_refused(anon_api):
    api_key, _ = services.api_key_create(name="Shopify")
    forged = f"fw_{api_key.prefix}_{'x' * 43}"
    anon_api.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")

    response = anon_api.get("/api/v1/customers/")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at is None


@pytest.mark.parametrize("raw_key", ["", "fw", "fw_abc", "pk_abc_def", "sk_nosuchkey_secret"])
def test_malformed_or_unknown_keys_are_not_found(raw_key):
    services.api_key_create(name="Shopify")

    assert services.api_key_authenticate(raw_key=raw_key) is None


def test_a_revoked_key_is_refused_from_the_next_request():
    api_key, raw_key = services.api_key_create(name="Old integration")
    client = api_client(raw_key)
    assert client.get("/api/v1/customers/").status_code == 200

    services.api_key_revoke(api_key=api_key)

    assert client.get("/api/v1/customers/").status_code == 401


class Clock:
    """The monotonic clock the key cache reads, moved by hand."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr("customers.services.api_keys.time.monotonic", clock)
    return clock


def test_a_busy_integration_costs_one_lookup_per_process_every_few_seconds(settings, clock):
    settings.API_KEY_CACHE_SECONDS = 5
    api_key, raw_key = services.api_key_create(name="Shopify")
    services.api_key_authenticate(raw_key=raw_key)

    clock.now += 4.9
    with CaptureQueriesContext(connection) as within:
        assert services.api_key_authenticate(raw_key=raw_key) == api_key
    clock.now += 0.2
    with CaptureQueriesContext(connection) as after:
        assert services.api_key_authenticate(raw_key=raw_key) == api_key

    assert len(within) == 0
    assert len(after) == 1  # looked up again


def test_a_key_revoked_in_another_process_is_refused_within_the_cache_seconds(settings, clock):
    settings.API_KEY_CACHE_SECONDS = 5
    api_key, raw_key = services.api_key_create(name="Old integration")
    client = api_client(raw_key)
    assert client.get("/api/v1/customers/").status_code == 200
    # Another process revokes it: this one's memory is not told.
    ApiKey.objects.filter(pk=api_key.pk).update(revoked_at=NOW)

    clock.now += 4
    still = client.get("/api/v1/customers/")
    clock.now += 1.5
    refused = client.get("/api/v1/customers/")

    assert still.status_code == 200
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "authentication_failed"


def test_a_deleted_key_is_refused_from_the_next_request(settings):
    settings.API_KEY_CACHE_SECONDS = 60
    api_key, raw_key = services.api_key_create(name="Old integration")
    client = api_client(raw_key)
    assert client.get("/api/v1/customers/").status_code == 200

    api_key.delete()

    assert client.get("/api/v1/customers/").status_code == 401


def test_a_wrong_secret_is_never_remembered(settings):
    settings.API_KEY_CACHE_SECONDS = 60
    api_key, raw_key = services.api_key_create(name="Shopify")
    forged = f"sk_{api_key.prefix}_{'x' * 43}"
    services.api_key_authenticate(raw_key=raw_key)

    with CaptureQueriesContext(connection) as lookups:
        assert services.api_key_authenticate(raw_key=forged) is None
        assert services.api_key_authenticate(raw_key=forged) is None

    assert len(lookups) == 2
