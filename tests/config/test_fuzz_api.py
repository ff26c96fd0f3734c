"""Hostile bodies for every write endpoint of the API other than order ingestion (those are
fuzzed with their parsers): whatever arrives, the answer is a success or a 4xx in the error
shape, never an exception. A fixed number of examples per endpoint, derandomized, so CI runs
the same cases every time."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from loyalty.services import voucher_grant
from tests.conftest import api_client
from tests.factories import (
    CustomerFactory,
    NpsInvitationFactory,
    ProductFactory,
    QuizVersionFactory,
    RewardFactory,
    UserFactory,
)
from tests.referrals.nps_support import token_of

EXAMPLES = 120

# Text that has broken web services: NUL, lone surrogates, bidi overrides, astral planes,
# SQL and HTML, numbers as text, dates out of range, and very long strings.
NASTY = st.sampled_from([
    "", " ", "\x00", "a\x00b", "\ud800", "\udfff\ud800", "\u202eevil", "𝕳𝖊𝖑𝖑𝖔", "🙂" * 50,
    "' OR 1=1 --", "<script>alert(1)</script>", "../../etc/passwd", "%s%s%n", "9" * 400,
    "1e30", "-1", "NaN", "Infinity", "9999-12-31", "0000-00-00", "2024-02-30T10:00:00Z",
    "2024-13-01", "+25:00", "null", "true", "x" * 5000, "ada@example.com", "c1", "q1",
])
TEXT = NASTY | st.text(st.characters(exclude_categories=[]), max_size=40)
NUMBERS = (st.integers() | st.sampled_from([2**63, -(2**63) - 1, 10**30, 0, -1])
           | st.floats(allow_nan=False, allow_infinity=False))
SCALARS = st.none() | st.booleans() | NUMBERS | TEXT
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children,
                                                                       max_size=4),
    max_leaves=12,
)


def shaped(keys: list[str]):
    """Bodies with the endpoint's own fields, each holding anything."""
    return st.fixed_dictionaries({}, optional=dict.fromkeys(keys, JSON_VALUES)).map(json.dumps)


RAW = st.one_of(
    st.binary(max_size=200),
    st.integers(1, 6000).map(lambda depth: "[" * depth + "]" * depth),
    st.integers(1, 3000).map(lambda depth: '{"a":' * depth + "1" + "}" * depth),
    JSON_VALUES.map(lambda v: json.dumps(v).encode("utf-16")),
    JSON_VALUES.map(lambda v: json.dumps(v).encode() + b"\x00"),
    JSON_VALUES.map(lambda v: json.dumps(v)[:-1]),
    st.sampled_from(['{"score": NaN}', '{"score": Infinity}', "[1e999]", '{"a": 1, "a": 2}',
                     "\ufeff{}", '"\\ud800"', '{"\\u0000": 1}', "{" + '"k":1,' * 3000 + "}"]),
)
CONTENT_TYPES = st.sampled_from([
    "application/json", "application/json; charset=utf-16", "application/json; charset=bogus",
    "application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz", "text/plain",
    "application/xml", "",
])

ENDPOINTS = {
    "customers_upsert": ("post", "/api/v1/customers/", [
        "email", "source", "external_id", "first_name", "last_name", "birthday", "locale",
        "accepts_marketing", "attributes"]),
    "customers_erase": ("delete", "/api/v1/customers/{customer}/", []),
    "customer_activity_create": ("post", "/api/v1/customers/{customer}/activities/", [
        "kind", "idempotency_key", "occurred_at", "reference", "data"]),
    "customer_redemption_create": ("post", "/api/v1/customers/{customer}/redemptions/", [
        "reward_id", "key"]),
    "me_redemption_create": ("post", "/api/v1/me/redemptions/", ["reward_id", "key"]),
    "voucher_use": ("post", "/api/v1/vouchers/{voucher}/use/", ["order_reference"]),
    "quiz_response_create": ("post", "/api/v1/quizzes/skin/responses/", [
        "response", "answers", "partial", "marketing_consent", "customer_id"]),
    "nps_response_create": ("post", "/api/v1/nps/responses/", ["token", "score", "comment"]),
}


class Shop:
    """What the endpoints act on: a customer, a reward, a voucher, a quiz, a survey link, and
    a signed-in shopper."""

    def __init__(self):
        self.customer = CustomerFactory(email="ada@example.com")
        self.reward = RewardFactory(cost=1)
        self.voucher = voucher_grant(customer=self.customer, reward=self.reward, key="fuzz",
                                     notify=False).code
        ProductFactory(sku="GEL", tags=["oily-skin"])
        QuizVersionFactory(quiz__slug="skin")
        self.token = token_of(NpsInvitationFactory(customer=self.customer), None)
        self.shopper = APIClient()
        self.shopper.force_login(UserFactory(email="ada@example.com"))

    def url(self, template: str) -> str:
        return template.format(customer=self.customer.pk, voucher=self.voucher)


def assert_answered(response) -> None:
    assert response.status_code < 500, response.content[:500]
    if response.status_code >= 400:
        assert response["Content-Type"] == "application/json", response.content[:300]
        error = response.json()["error"]
        assert set(error) == {"code", "message", "fields"}, error
        assert isinstance(error["code"], str) and error["message"]


@pytest.mark.django_db
@pytest.mark.parametrize("operation", sorted(ENDPOINTS))
def test_hostile_bodies_get_an_answer_never_an_exception(operation, api_key):
    method, template, keys = ENDPOINTS[operation]
    shop = Shop()
    client = shop.shopper if operation.startswith("me_") else (
        APIClient() if operation == "nps_response_create" else api_client(api_key))
    token_values = st.sampled_from([shop.token, shop.token + "x", shop.token[:10]])
    bodies = st.one_of(shaped(keys).map(str.encode), RAW,
                       st.fixed_dictionaries({"token": token_values, "score": JSON_VALUES,
                                              "comment": TEXT}).map(json.dumps).map(str.encode))

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(body=bodies, content_type=CONTENT_TYPES)
    def send(body, content_type):
        assert_answered(client.generic(method.upper(), shop.url(template), data=body,
                                       content_type=content_type))

    send()
