"""A signature replayed at the same moment from several tabs or attackers: exactly one exchange
wins, on PostgreSQL with real threads (the unique key decides, not a check before writing)."""

import time

import pytest

from storefront import errors
from storefront.models import ShopperSignatureUse
from storefront.services import shopper_session_open, shopper_signature
from tests.conftest import at_once
from tests.factories import CustomerFactory, PublishableKeyFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_one_signature_sent_five_times_at_once_gives_one_token():
    key = PublishableKeyFactory()
    CustomerFactory(email="ada@example.com")
    timestamp = int(time.time())
    signature = shopper_signature(secret=key.signing_secret, customer_id="42",
                                  email="ada@example.com", timestamp=timestamp)

    results = at_once(5, lambda _i: shopper_session_open(
        publishable_key=key, customer_id="42", email="ada@example.com", timestamp=timestamp,
        signature=signature))

    tokens = [r for r in results if isinstance(r, tuple)]
    refused = [r for r in results if isinstance(r, errors.SignatureRefused)]
    assert len(tokens) == 1
    assert [r.code for r in refused] == ["signature_used"] * 4
    assert ShopperSignatureUse.objects.count() == 1
