"""Abuse is slowed: the anonymous endpoints, voucher checks, sign-ups and logins answer 429 in
the error shape (or a 429 page) with Retry-After, counted per API key or client address."""

import json

import pytest
from django.urls import reverse

from config.throttling import parse_rate
from customers import services
from loyalty.services import voucher_grant
from referrals.services import referral_code_get_or_create
from tests.conftest import api_client
from tests.factories import (
    CustomerFactory,
    NpsInvitationFactory,
    ReferralProgramFactory,
    RewardFactory,
    UserFactory,
)
from tests.referrals.nps_support import token_of

pytestmark = pytest.mark.django_db


def limit(settings, scope: str) -> int:
    return parse_rate(settings.THROTTLE_RATES[scope])[0]


def test_guessing_nps_tokens_is_answered_429_in_the_error_shape(throttled, anon_api):
    guesses = [anon_api.post("/api/v1/nps/responses/", data=json.dumps(
        {"token": f"guess-{i}", "score": 9}), content_type="application/json",
        REMOTE_ADDR="198.51.100.20") for i in range(200)]

    statuses = [g.status_code for g in guesses]
    allowed = limit(throttled, "nps_answers")
    assert statuses[:allowed] == [404] * allowed
    assert set(statuses[allowed:]) == {429}
    refused = guesses[-1]
    assert refused.json()["error"]["code"] == "throttled"
    assert set(refused.json()["error"]) == {"code", "message", "fields"}
    assert 0 < int(refused["Retry-After"]) <= 60


def test_another_address_is_still_answered_while_one_is_throttled(throttled, anon_api):
    invitation = NpsInvitationFactory()

    for i in range(limit(throttled, "nps_answers") + 5):
        anon_api.post("/api/v1/nps/responses/", data={"token": f"x{i}"},
                      REMOTE_ADDR="198.51.100.21")

    answered = anon_api.post("/api/v1/nps/responses/", data={"token": token_of(invitation, 9)},
                             REMOTE_ADDR="198.51.100.22")
    assert answered.status_code == 201


def test_voucher_guesses_are_throttled_per_api_key(throttled):
    real = voucher_grant(customer=CustomerFactory(), reward=RewardFactory(), key="gift",
                         notify=False).code
    guesser = api_client(services.api_key_create(name="Leaked")[1])
    checkout = api_client(services.api_key_create(name="Checkout")[1])

    statuses = [guesser.get(f"/api/v1/vouchers/GUESS{i:04d}/").status_code for i in range(300)]

    allowed = limit(throttled, "voucher_checks")
    assert statuses.count(404) == allowed and statuses.count(429) == 300 - allowed
    assert checkout.get(f"/api/v1/vouchers/{real}/").status_code == 200
    assert guesser.get(f"/api/v1/vouchers/{real}/").status_code == 429


def test_rates_come_from_settings(throttled, anon_api):
    throttled.THROTTLE_RATES = {**throttled.THROTTLE_RATES, "nps_answers": "2/minute"}

    statuses = [anon_api.post("/api/v1/nps/responses/", data={"token": "x"}).status_code
                for _ in range(3)]

    assert statuses == [404, 404, 429]


def test_a_scope_without_a_rate_is_not_throttled(throttled, anon_api):
    throttled.THROTTLE_RATES = {**throttled.THROTTLE_RATES, "nps_answers": ""}

    statuses = {anon_api.post("/api/v1/nps/responses/", data={"token": "x"}).status_code
                for _ in range(40)}

    assert statuses == {404}


def test_referral_sign_ups_from_one_address_get_a_429_page(throttled, client):
    ReferralProgramFactory()
    code = referral_code_get_or_create(customer=CustomerFactory())
    allowed = limit(throttled, "referral_signups")

    answers = [client.post(f"/r/{code.code}/", {"email": "not-an-email"},
                           REMOTE_ADDR="198.51.100.30") for _ in range(allowed + 2)]

    assert {a.status_code for a in answers[:allowed]} == {400}
    assert answers[-1].status_code == 429
    assert answers[-1]["Content-Type"].startswith("text/html")
    assert "Please slow down" in answers[-1].text
    assert int(answers[-1]["Retry-After"]) > 0


def test_password_reset_requests_are_throttled(throttled, client):
    allowed = limit(throttled, "password_resets")
    answers = [client.post(reverse("password_reset"), {"email": "ada@example.com"}).status_code
               for _ in range(allowed + 1)]

    assert answers == [302] * allowed + [429]


def test_sixty_wrong_passwords_lock_the_login_even_for_the_right_one(throttled, client):
    UserFactory(email="ada@example.com")

    wrong = [client.post(reverse("login"), {"username": "ada@example.com",
                                            "password": f"guess-{i}"},
                         REMOTE_ADDR="198.51.100.40") for i in range(60)]
    right = client.post(reverse("login"), {"username": "ada@example.com",
                                           "password": "correct-horse-battery"},
                        REMOTE_ADDR="198.51.100.40")

    failures = throttled.AXES_FAILURE_LIMIT
    assert [w.status_code for w in wrong[:failures - 1]] == [200] * (failures - 1)
    assert {w.status_code for w in wrong[failures:]} == {429}
    assert right.status_code == 429
    assert int(right["Retry-After"]) == 15 * 60
    assert "_auth_user_id" not in client.session


def test_guessing_one_account_from_many_addresses_locks_that_account(throttled, client):
    UserFactory(email="ada@example.com")
    UserFactory(email="grace@example.com")

    for i in range(throttled.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "ADA@example.com ", "password": "nope"},
                    REMOTE_ADDR=f"198.51.100.{100 + i}")
    locked = client.post(reverse("login"), {"username": "ada@example.com",
                                            "password": "correct-horse-battery"},
                         REMOTE_ADDR="203.0.113.9")
    other = client.post(reverse("login"), {"username": "grace@example.com",
                                           "password": "correct-horse-battery"},
                        REMOTE_ADDR="203.0.113.9")

    assert locked.status_code == 429
    assert other.status_code == 302


def test_the_admin_login_is_protected_too(throttled, client):
    UserFactory(email="staff@example.com", is_staff=True)
    for i in range(throttled.AXES_FAILURE_LIMIT):
        client.post("/admin/login/", {"username": "staff@example.com", "password": f"x{i}"})

    response = client.post("/admin/login/", {"username": "staff@example.com",
                                             "password": "correct-horse-battery"})

    assert response.status_code == 429
