"""No input, however malformed, gets a 500: each body the issue found answering 500 now gets a
400 in the error shape, and nothing is written."""

import json

import pytest

from customers.models import Activity
from referrals.nps.models import NpsResponse
from tests.factories import CustomerFactory, NpsInvitationFactory
from tests.referrals.nps_support import token_of

pytestmark = pytest.mark.django_db


def assert_error_shape(response, status: int = 400) -> str:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields"} and error["message"]
    return error["code"]


def test_a_6_kb_nested_body_to_the_nps_api_is_a_400(anon_api):
    body = "[" * 3000 + "]" * 3000

    response = anon_api.post("/api/v1/nps/responses/", data=body,
                             content_type="application/json")

    assert assert_error_shape(response) == "parse_error"
    assert NpsResponse.objects.count() == 0


def test_a_nested_score_inside_a_valid_token_is_a_400(anon_api):
    invitation = NpsInvitationFactory()
    score = {"a": 1}
    for _ in range(40):
        score = {"a": score}
    body = json.dumps({"token": token_of(invitation), "score": score})

    response = anon_api.post("/api/v1/nps/responses/", data=body,
                             content_type="application/json")

    assert "nested" in response.json()["error"]["message"]
    assert assert_error_shape(response) == "parse_error"


@pytest.mark.parametrize("text", ["before\x00after", "\ud800 lone surrogate"])
def test_nul_or_lone_surrogates_in_an_activitys_data_are_a_400(api, text):
    customer = CustomerFactory()
    body = json.dumps({"kind": "review_written", "idempotency_key": "r-1",
                       "data": {"review": text, "nested": [{"deeper": text}]}})

    response = api.post(f"/api/v1/customers/{customer.pk}/activities/", data=body,
                        content_type="application/json")

    assert assert_error_shape(response) == "parse_error"
    assert not Activity.objects.filter(kind="review_written").exists()


@pytest.mark.parametrize("period", ["to=9999-12-31", "from=0001-01-01", "from=9999-12-31",
                                    "to=2026-02-30", "from=1969-12-31"])
def test_an_nps_summary_for_a_day_out_of_range_is_a_400(api, period):
    response = api.get(f"/api/v1/nps/summary/?{period}")

    assert assert_error_shape(response) == "invalid"


def test_ids_past_the_largest_row_id_are_not_found(api):
    huge = 2**63

    assert assert_error_shape(api.get(f"/api/v1/customers/{huge}/"), 404) == "not_found"
    assert assert_error_shape(api.get(f"/api/v1/customers/{huge * 10**20}/loyalty/"),
                              404) == "not_found"
    response = api.post(f"/api/v1/customers/{CustomerFactory().pk}/redemptions/",
                        data={"reward_id": huge}, format="json")
    assert assert_error_shape(response) == "invalid"


@pytest.mark.parametrize("path", ["/api/v1/vouchers/A%00B/", "/api/v1/vouchers/%00/use/"])
def test_a_voucher_code_holding_nul_is_not_found(api, path):
    """PostgreSQL refuses NUL in text, so such a code is never looked up."""
    response = api.get(path) if not path.endswith("use/") else api.post(path, {}, format="json")

    assert assert_error_shape(response, 404) == "voucher_not_found"


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_referral_link_holding_nul_is_not_found(client, method):
    """The fuzzing of the shopper's pages found `/r/%00/` answering 500 on PostgreSQL."""
    response = getattr(client, method)("/r/AB%00CD/")

    assert response.status_code == 404
