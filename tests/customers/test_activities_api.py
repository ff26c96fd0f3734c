"""POST /api/v1/customers/{id}/activities/: the shop records a custom activity, once per key;
loyalty's activity rules award its points."""

import pytest

from loyalty.selectors import balance_get
from tests.factories import ActivityRuleFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def url(customer):
    return f"/api/v1/customers/{customer.pk}/activities/"


def review(**overrides):
    body = {"kind": "review_written", "idempotency_key": "review-77",
            "occurred_at": "2026-11-01T10:00:00Z", "reference": "review 77",
            "data": {"stars": 5}}
    body.update(overrides)
    return body


def test_a_custom_activity_is_recorded_and_earns_its_rule_points(api):
    ActivityRuleFactory(name="Review", activity_kind="review_written", points=25)
    customer = CustomerFactory()

    response = api.post(url(customer), review(), format="json")

    assert response.status_code == 201
    assert response.json()["kind"] == "review_written"
    assert response.json()["data"] == {"stars": 5}
    activity = customer.activities.get(kind="review_written")
    assert (activity.reference, activity.occurred_at.isoformat()) == (
        "review 77", "2026-11-01T10:00:00+00:00")
    assert balance_get(customer=customer)["balance"] == 25


def test_the_same_key_records_and_earns_once(api):
    ActivityRuleFactory(name="Review", activity_kind="review_written", points=25)
    customer = CustomerFactory()

    first = api.post(url(customer), review(), format="json")
    again = api.post(url(customer), review(), format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert customer.activities.filter(kind="review_written").count() == 1
    assert balance_get(customer=customer)["balance"] == 25


def test_a_key_reused_for_another_kind_or_customer_is_a_conflict(api):
    customer = CustomerFactory()
    api.post(url(customer), review(), format="json")

    other_kind = api.post(url(customer), review(kind="social_follow"), format="json")
    other_customer = api.post(url(CustomerFactory()), review(), format="json")

    for response in (other_kind, other_customer):
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "idempotency_key_reused"


def test_built_in_kinds_are_refused(api):
    customer = CustomerFactory()

    response = api.post(url(customer), review(kind="order_paid"), format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "reserved_activity_kind"
    assert not customer.activities.filter(kind="order_paid").exists()


@pytest.mark.parametrize(("body", "field"), [
    (review(kind="Not a slug!"), "kind"),
    ({"idempotency_key": "k"}, "kind"),
    (review(idempotency_key=""), "idempotency_key"),
    (review(occurred_at="yesterday"), "occurred_at"),
    (review(data="stars"), "data"),
    (review(occurred_at="2999-01-01T00:00:00Z"), "occurred_at"),
])
def test_bad_input_gets_a_clear_error_and_records_nothing(api, body, field):
    customer = CustomerFactory()

    response = api.post(url(customer), body, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not customer.activities.exclude(kind="customer_created").exists()


def test_an_unknown_customer_is_a_404(api):
    response = api.post("/api/v1/customers/999999/activities/", review(), format="json")

    assert response.status_code == 404


def test_without_the_shop_key_nothing_is_recorded(anon_api):
    customer = CustomerFactory()

    response = anon_api.post(url(customer), review(), format="json")

    assert response.status_code in (401, 403)
    assert not customer.activities.filter(kind="review_written").exists()
