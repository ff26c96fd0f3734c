"""The signed-in shopper is the login's customer profile, unless it was erased: every /me/ API
and every shopper page applies that one rule. Three visitors are not a shopper: nobody signed
in, a login without a profile (staff, say) and a login whose profile was erased."""

from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from customers.models import Customer
from kernel.errors import NO_CUSTOMER
from quizzes.models import QuizResponse
from referrals import services as referral_services
from tests.factories import (
    CustomerFactory,
    ProductFactory,
    QuizVersionFactory,
    RewardFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

NOT_A_SHOPPER = ["anonymous", "no_profile", "erased"]
ME_APIS = [
    ("get", "/api/v1/me/loyalty/"),
    ("get", "/api/v1/me/loyalty/entries/"),
    ("post", "/api/v1/me/redemptions/"),
    ("get", "/api/v1/me/referral/"),
    ("get", "/api/v1/me/nps/responses/"),
]


def visitor(client, state: str) -> Customer | None:
    """Sign `client` in as the visitor `state` names; the erased one's profile is returned."""
    if state == "anonymous":
        return None
    user = UserFactory()
    customer = None
    if state == "erased":
        # Erasure unlinks the login too; this is the moment between, or a profile erased by
        # other means: the login still points at it.
        customer = CustomerFactory(user=user, accepts_marketing=False)
        Customer.objects.filter(pk=customer.pk).update(erased_at=timezone.now())
    client.force_login(user)
    return customer


@pytest.mark.parametrize(("method", "path"), ME_APIS)
@pytest.mark.parametrize("state", ["no_profile", "erased"])
def test_a_login_that_is_not_a_shopper_gets_the_one_no_customer_error(method, path, state):
    client = APIClient()
    visitor(client, state)

    response = getattr(client, method)(path, {}, format="json")

    assert response.status_code == 404
    assert response.json() == {"error": {"code": "no_customer", "message": str(NO_CUSTOMER),
                                         "fields": {}}}


@pytest.mark.parametrize(("method", "path"), ME_APIS)
def test_nobody_signed_in_is_refused_before_any_profile_is_looked_up(method, path):
    response = getattr(APIClient(), method)(path, {}, format="json")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("path", ["/account/rewards/{reward}/redeem/",
                                  "/account/referral/card.png"])
@pytest.mark.parametrize("state", NOT_A_SHOPPER)
def test_pages_only_a_shopper_has_send_others_to_sign_in_or_are_not_found(client, path, state):
    visitor(client, state)

    response = client.get(path.format(reward=RewardFactory(cost=10).pk))

    if state == "anonymous":
        assert response.status_code == 302 and "/account/login/" in response["Location"]
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("state", ["no_profile", "erased"])
def test_the_account_page_of_a_login_that_is_not_a_shopper_shows_no_profile(client, state):
    visitor(client, state)

    response = client.get("/account/")

    assert response.status_code == 200
    assert response.context["customer"] is None
    assert "panels" not in response.context


def test_an_erased_profile_keeps_its_consent_whatever_its_login_posts(client):
    erased = visitor(client, "erased")

    response = client.post("/account/consent/", {"accepts_marketing": "on"})

    assert response.status_code == 302
    erased.refresh_from_db()
    assert erased.accepts_marketing is False and erased.marketing_consent_at is None


@pytest.mark.parametrize("state", NOT_A_SHOPPER)
def test_a_quiz_taken_by_someone_who_is_not_a_shopper_belongs_to_nobody_yet(client, state):
    ProductFactory(sku="GEL", tags=["oily-skin"], price=Decimal("12.00"))
    QuizVersionFactory(quiz__slug="skin")
    visitor(client, state)

    assert client.post("/quizzes/skin/start/").status_code == 302
    assert QuizResponse.objects.get().customer is None


def test_a_signed_in_visitor_whose_profile_was_erased_finds_no_email_filled_in(client):
    code = referral_services.referral_code_get_or_create(customer=CustomerFactory())
    erased = visitor(client, "erased")

    response = client.get(f"/r/{code.code}/")

    assert response.status_code == 200
    assert erased.email not in response.text
