"""The loyalty API, as the shop's systems and a signed-in shopper use it."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from loyalty import services
from loyalty.models import LoyaltyAccount, PointsEntry, Redemption
from tests.factories import CustomerFactory, RewardFactory, UserFactory
from tests.loyalty.conftest import customer_with

pytestmark = pytest.mark.django_db


def shopper_client(customer, *, csrf: bool = False) -> APIClient:
    user = UserFactory(email=customer.email)
    customer.user = user
    customer.save(update_fields=["user"])
    client = APIClient(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def balance(customer) -> int:
    return LoyaltyAccount.objects.get(customer=customer).balance


def test_the_summary_reads_balance_and_pending(api):
    customer = customer_with(120)

    response = api.get(f"/api/v1/customers/{customer.pk}/loyalty/")

    assert response.status_code == 200
    assert response.json() == {"balance": 120, "pending": 0, "expiring_soon": [], "tier": None,
                               "next_tier": None, "progress": None}


def test_a_customer_without_an_account_reads_zero_and_gets_none(api):
    customer = CustomerFactory()

    response = api.get(f"/api/v1/customers/{customer.pk}/loyalty/")

    assert response.json()["balance"] == 0
    assert not LoyaltyAccount.objects.exists()
    assert api.get("/api/v1/customers/999999/loyalty/").status_code == 404


def test_the_loyalty_api_needs_an_api_key(anon_api):
    customer = customer_with(100)

    assert anon_api.get(f"/api/v1/customers/{customer.pk}/loyalty/").status_code in (401, 403)
    assert anon_api.get("/api/v1/rewards/").status_code in (401, 403)


def test_entries_are_paginated_newest_first(api):
    customer = customer_with(300)
    redemption = services.redemption_create(customer=customer, reward=RewardFactory(cost=100))

    response = api.get(f"/api/v1/customers/{customer.pk}/loyalty/entries/?limit=1")

    body = response.json()
    assert body["count"] == 2
    assert [(e["amount"], e["kind"], e["reference"]) for e in body["results"]] == [
        (-100, "redeem", redemption.code)]


def test_rewards_lists_only_what_can_be_redeemed_now(api):
    shown = RewardFactory(name="€5 off", cost=100)
    RewardFactory(name="Retired", is_active=False)
    RewardFactory(name="Sold out", stock=0)
    RewardFactory(name="Next week", available_from=timezone.now() + dt.timedelta(days=7))

    response = api.get("/api/v1/rewards/")

    assert [r["id"] for r in response.json()["results"]] == [shown.pk]


def test_redeeming_returns_the_code_and_debits(api):
    customer = customer_with(150)
    reward = RewardFactory(cost=100)

    response = api.post(f"/api/v1/customers/{customer.pk}/redemptions/",
                        {"reward_id": reward.pk}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert Redemption.objects.get(code=body["code"]).account.customer == customer
    assert body["expires_at"]
    assert balance(customer) == 50


def test_not_enough_points_is_a_409_and_writes_nothing(api):
    customer = customer_with(99)
    reward = RewardFactory(cost=100)

    response = api.post(f"/api/v1/customers/{customer.pk}/redemptions/",
                        {"reward_id": reward.pk}, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "insufficient_points"
    assert not Redemption.objects.exists()
    assert balance(customer) == 99


def test_an_unknown_reward_is_a_404_and_a_missing_one_a_400(api):
    customer = customer_with(100)
    url = f"/api/v1/customers/{customer.pk}/redemptions/"

    assert api.post(url, {"reward_id": 424242}, format="json").json()["error"]["code"] == (
        "reward_not_found")
    missing = api.post(url, {}, format="json")
    assert missing.status_code == 400
    assert "reward_id" in missing.json()["error"]["fields"]


def test_a_retry_with_the_same_idempotency_key_issues_one_voucher(api):
    customer = customer_with(500)
    reward = RewardFactory(cost=100)
    url = f"/api/v1/customers/{customer.pk}/redemptions/"

    first = api.post(url, {"reward_id": reward.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = api.post(url, {"reward_id": reward.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.json()["code"] == again.json()["code"]
    assert balance(customer) == 400


@pytest.mark.parametrize("length", [129, 201])
def test_an_idempotency_key_over_128_characters_is_refused_not_cut(api, length):
    """Issue 12, finding 8: a key cut to fit would collide with another cut alike (and one over
    the column's 200 characters answered 500 on PostgreSQL)."""
    customer = customer_with(500)
    reward = RewardFactory(cost=100)
    url = f"/api/v1/customers/{customer.pk}/redemptions/"

    response = api.post(url, {"reward_id": reward.pk}, format="json",
                        HTTP_IDEMPOTENCY_KEY="k" * length)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "idempotency_key_too_long"
    assert "Idempotency-Key" in response.json()["error"]["fields"]
    assert balance(customer) == 500
    assert not Redemption.objects.exists()


def test_checking_and_using_a_voucher(api):
    customer = customer_with(100, email="secret@example.com")
    reward = RewardFactory(cost=100, kind="percent_off", amount=None, currency="", percent=15)
    code = services.redemption_create(customer=customer, reward=reward).code

    checked = api.get(f"/api/v1/vouchers/{code.lower()}/")
    used = api.post(f"/api/v1/vouchers/{code}/use/", {"order_reference": "#1001"},
                    format="json")
    again = api.post(f"/api/v1/vouchers/{code}/use/", {"order_reference": "#1002"},
                     format="json")
    after = api.get(f"/api/v1/vouchers/{code}/")

    assert checked.status_code == 200
    body = checked.json()
    assert (body["code"], body["status"], body["valid"]) == (code, "issued", True)
    assert (body["reward"]["kind"], body["reward"]["percent"]) == ("percent_off", 15)
    assert "secret@example.com" not in checked.content.decode()
    assert (used.status_code, again.status_code) == (200, 200)
    assert again.json()["order_reference"] == "#1001"
    assert (after.json()["status"], after.json()["valid"]) == ("used", False)


def test_unknown_expired_and_cancelled_vouchers(api):
    customer = customer_with(200)
    reward = RewardFactory(cost=100, voucher_valid_days=5)
    expired = services.redemption_create(
        customer=customer, reward=reward, now=timezone.now() - dt.timedelta(days=6))
    cancelled = services.voucher_cancel(
        redemption=services.redemption_create(customer=customer, reward=reward))

    unknown = api.get("/api/v1/vouchers/AAAA-BBBB-CCCC/")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "voucher_not_found")
    assert api.get(f"/api/v1/vouchers/{expired.code}/").json()["status"] == "expired"
    assert api.post(f"/api/v1/vouchers/{expired.code}/use/").json()["error"]["code"] == (
        "voucher_expired")
    response = api.post(f"/api/v1/vouchers/{cancelled.code}/use/")
    assert (response.status_code, response.json()["error"]["code"]) == (409, "voucher_cancelled")


def test_the_shopper_reads_their_own_points():
    customer = customer_with(80)
    customer_with(999)
    client = shopper_client(customer)

    summary = client.get("/api/v1/me/loyalty/")
    entries = client.get("/api/v1/me/loyalty/entries/")

    assert summary.json()["balance"] == 80
    assert [e["amount"] for e in entries.json()["results"]] == [80]


def test_the_shopper_always_spends_their_own_points():
    mine = customer_with(100)
    theirs = customer_with(1000)
    client = shopper_client(mine)
    reward = RewardFactory(cost=100)

    first = client.post("/api/v1/me/redemptions/",
                        {"reward_id": reward.pk, "customer_id": theirs.pk}, format="json")
    second = client.post("/api/v1/me/redemptions/", {"reward_id": reward.pk}, format="json")

    assert first.status_code == 201
    assert (second.status_code, second.json()["error"]["code"]) == (409, "insufficient_points")
    assert (balance(mine), balance(theirs)) == (0, 1000)
    assert Redemption.objects.get().account.customer == mine


def test_me_without_login_is_refused(anon_api):
    for response in (anon_api.get("/api/v1/me/loyalty/"),
                     anon_api.get("/api/v1/me/loyalty/entries/"),
                     anon_api.post("/api/v1/me/redemptions/", {"reward_id": 1}, format="json")):
        assert response.status_code in (401, 403)
    assert not Redemption.objects.exists()


def test_an_api_key_does_not_reach_me(api):
    assert api.get("/api/v1/me/loyalty/").status_code in (401, 403)


def test_a_login_without_a_customer_profile_gets_a_clear_error():
    client = APIClient()
    client.force_login(UserFactory())

    response = client.get("/api/v1/me/loyalty/")

    assert (response.status_code, response.json()["error"]["code"]) == (404, "no_customer")


def test_me_redeeming_enforces_csrf():
    customer = customer_with(100)
    client = shopper_client(customer, csrf=True)
    reward = RewardFactory(cost=100)

    refused = client.post("/api/v1/me/redemptions/", {"reward_id": reward.pk}, format="json")
    token = "k" * 32
    client.cookies["csrftoken"] = token
    accepted = client.post("/api/v1/me/redemptions/", {"reward_id": reward.pk}, format="json",
                           HTTP_X_CSRFTOKEN=token)

    assert refused.status_code == 403
    assert "CSRF" in refused.json()["error"]["message"]
    assert accepted.status_code == 201
    assert PointsEntry.objects.filter(kind="redeem").count() == 1
