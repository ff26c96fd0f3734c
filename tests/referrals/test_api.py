"""The referral API: the shop reads any customer's referral with its key; a shopper reads only
their own, with their session."""

import pytest
from rest_framework.test import APIClient

from referrals import services
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


def shopper_client(customer) -> APIClient:
    user = UserFactory(email=customer.email)
    customer.user = user
    customer.save()
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def test_the_shop_reads_a_customers_referral(api, program, code, referrer, shop, clock):
    referral = shop.sign_up(code, "grace@example.com", name="Grace Hopper")
    shop.pay("grace@example.com", discount_codes=[referral.voucher_code])

    response = api.get(f"/api/v1/customers/{referrer.pk}/referral/")

    assert response.status_code == 200
    body = response.json()
    assert body["share"]["code"] == code.code
    assert body["share"]["url"].endswith(f"/r/{code.code}/")
    assert body["stats"]["signups"] == 1
    assert body["stats"]["conversions"] == 1
    assert body["stats"]["revenue"] == "80.00"
    assert [(r["friend"], r["status"]) for r in body["referrals"]] == [("Grace", "pending")]


def test_an_unknown_customer_is_a_404_in_the_error_shape(api, program):
    response = api.get("/api/v1/customers/999999/referral/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_customer_endpoint_needs_an_api_key(program, referrer):
    response = APIClient().get(f"/api/v1/customers/{referrer.pk}/referral/")
    assert response.status_code in (401, 403)


def test_a_customer_reads_their_own_referrals_only(program, referrer, code):
    services.referral_signup(code=code, email="grace@example.com")
    other = CustomerFactory(email="mallory@example.com")

    mine = shopper_client(referrer).get("/api/v1/me/referral/")
    theirs = shopper_client(other).get("/api/v1/me/referral/")

    assert mine.status_code == theirs.status_code == 200
    assert len(mine.json()["referrals"]) == 1
    assert theirs.json()["referrals"] == []
    assert theirs.json()["share"]["code"] != code.code
    assert "grace@example.com" not in theirs.content.decode()


def test_a_shopper_cannot_use_the_api_key_endpoint(program, referrer):
    response = shopper_client(CustomerFactory()).get(f"/api/v1/customers/{referrer.pk}/referral/")
    assert response.status_code in (401, 403)


def test_me_needs_a_login(program):
    response = APIClient().get("/api/v1/me/referral/")
    assert response.status_code == 403


def test_a_login_without_a_profile_gets_a_clear_404(program):
    client = APIClient()
    client.force_login(UserFactory(email="staff-only@example.com"))

    response = client.get("/api/v1/me/referral/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "no_customer"
