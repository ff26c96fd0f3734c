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


def test_use_is_noted_at_most_once_a_minute():
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
