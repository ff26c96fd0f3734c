"""Two kinds of keys, tested as a matrix over every operation in the API schema: a publishable
key (pk_, in the shop's pages) reaches only the storefront widget's API and reads or changes no
customer's data anywhere else; a secret key (sk_, and the older fw_) reaches everything but the
widget's API, and is refused when a browser sends it from another website."""

import re

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from customers import services as customer_services
from customers.models import Activity, ApiKey, Customer
from loyalty import services as loyalty_services
from loyalty.models import Redemption
from tests.factories import (
    CustomerFactory,
    PublishableKeyFactory,
    QuizVersionFactory,
    RewardFactory,
)

pytestmark = pytest.mark.django_db

SHOP = "https://shop.example.com"
FOREIGN = "https://evil.example.net"
WIDGET_PREFIX = "/api/v1/storefront/"


def _operations() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted((path, method.upper()) for path, item in schema["paths"].items()
                  for method in item if method in {"get", "post", "put", "patch", "delete"})


OPERATIONS = _operations()


def client(raw_key: str | None = None, origin: str | None = None) -> APIClient:
    api = APIClient()
    if raw_key:
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    if origin:
        api.defaults["HTTP_ORIGIN"] = origin
    return api


@pytest.fixture
def shop():
    customer = CustomerFactory(email="ada@example.com")
    voucher = loyalty_services.voucher_grant(customer=customer, reward=RewardFactory(),
                                             key="welcome", notify=False)
    QuizVersionFactory(quiz__slug="skin")
    _, secret = customer_services.api_key_create(name="Shop server")
    return {"customer": customer, "voucher": voucher, "secret": secret,
            "publishable": PublishableKeyFactory().key}


def _url(path: str, shop) -> str:
    values = {"customer_id": shop["customer"].pk, "code": shop["voucher"].code, "slug": "skin",
              "segment_id": 1, "id": 1}
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), 1)), path)


def _call(api, method: str, url: str):
    return getattr(api, method.lower())(url, {}, format="json")


def _customer_data() -> tuple:
    """Everything a key could read or change about customers, as counts and balances."""
    return (Customer.objects.filter(erased_at__isnull=True).count(),
            list(Customer.objects.values_list("email", "accepts_marketing")),
            Activity.objects.count(), Redemption.objects.count(),
            list(Redemption.objects.values_list("status", flat=True)))


def test_the_matrix_covers_the_whole_api():
    paths = {path for path, _method in OPERATIONS}
    assert "/api/v1/customers/{customer_id}/" in paths
    assert "/api/v1/storefront/bootstrap/" in paths
    assert len(OPERATIONS) > 30


@pytest.mark.parametrize(("path", "method"),
                         [op for op in OPERATIONS if not op[0].startswith(WIDGET_PREFIX)])
def test_a_publishable_key_gets_nothing_an_anonymous_caller_would_not(shop, path, method):
    url = _url(path, shop)
    before = _customer_data()
    anonymous = _call(client(), method, url)
    before_pk = _customer_data()
    with_pk = _call(client(shop["publishable"], SHOP), method, url)

    if anonymous.status_code in (401, 403):
        assert with_pk.status_code in (401, 403), with_pk.content
        assert with_pk.json()["error"]["code"] in {"publishable_key_not_allowed",
                                                   "not_authenticated",
                                                   "authentication_failed"}
    else:  # a public operation (NPS answers by token, webhooks signed by the platform)
        assert with_pk.status_code == anonymous.status_code
    assert _customer_data() == before_pk
    if anonymous.status_code in (401, 403):
        assert before == before_pk


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_a_secret_key_from_another_website_is_refused(shop, path, method):
    url = _url(path, shop)
    anonymous = _call(client(origin=FOREIGN), method, url)
    response = _call(client(shop["secret"], FOREIGN), method, url)

    if response.status_code != anonymous.status_code:
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "secret_key_in_browser"
    assert "Access-Control-Allow-Origin" not in response


@pytest.mark.parametrize(("path", "method"),
                         [op for op in OPERATIONS if op[0].startswith(WIDGET_PREFIX)])
def test_the_widget_api_takes_only_publishable_keys(shop, path, method):
    url = _url(path, shop)

    by_server = _call(client(shop["secret"]), method, url)
    anonymous = _call(client(), method, url)
    foreign_page = _call(client(shop["publishable"], FOREIGN), method, url)

    assert by_server.status_code == 403
    assert by_server.json()["error"]["code"] == "publishable_key_required"
    assert anonymous.status_code in (401, 403)
    assert foreign_page.status_code == 403
    assert foreign_page.json()["error"]["code"] == "origin_not_allowed"


def test_a_secret_key_from_the_shops_server_still_reads_customers(shop):
    response = client(shop["secret"]).get(f"/api/v1/customers/{shop['customer'].pk}/")

    assert response.status_code == 200
    assert response.json()["email"] == "ada@example.com"


def test_keys_made_before_publishable_keys_keep_working_as_secret_keys(shop):
    api_key, raw_key = customer_services.api_key_create(name="Old integration")
    old = raw_key.replace("sk_", "fw_", 1)  # the form keys had until now; same hash scheme
    ApiKey.objects.filter(pk=api_key.pk).update(
        hashed_key=customer_services.api_keys.hash_key(old))

    response = client(old).get(f"/api/v1/customers/{shop['customer'].pk}/")

    assert response.status_code == 200


def test_a_publishable_key_cannot_read_a_customer(shop):
    response = client(shop["publishable"], SHOP).get(f"/api/v1/customers/{shop['customer'].pk}/")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "publishable_key_not_allowed"
    assert "ada@example.com" not in response.content.decode()


def test_a_publishable_key_cannot_check_or_use_a_voucher(shop):
    code = shop["voucher"].code
    api = client(shop["publishable"], SHOP)

    assert api.get(f"/api/v1/vouchers/{code}/").status_code == 403
    assert api.post(f"/api/v1/vouchers/{code}/use/", {}, format="json").status_code == 403
    assert Redemption.objects.get(code=code).status == "issued"


def test_a_revoked_publishable_key_is_refused(shop):
    key = PublishableKeyFactory(revoked_at="2026-01-01T00:00Z")

    response = client(key.key, SHOP).get("/api/v1/storefront/bootstrap/")

    assert response.status_code == 401


# CORS --------------------------------------------------------------------------------------


def test_the_shops_origin_may_call_the_widget_api_from_its_browser(shop):
    preflight = client().options(
        "/api/v1/storefront/bootstrap/", HTTP_ORIGIN=SHOP,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, x-flywheel-shopper")
    response = client(shop["publishable"], SHOP).get("/api/v1/storefront/bootstrap/")

    assert preflight.status_code == 200
    assert preflight["Access-Control-Allow-Origin"] == SHOP
    assert "x-flywheel-shopper" in preflight["Access-Control-Allow-Headers"]
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == SHOP
    assert "Origin" in response["Vary"]


def test_another_origin_gets_no_cors_headers_and_its_preflight_is_refused(shop):
    preflight = client().options(
        "/api/v1/storefront/bootstrap/", HTTP_ORIGIN=FOREIGN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET")
    response = client(shop["publishable"], FOREIGN).get("/api/v1/storefront/bootstrap/")

    assert preflight.status_code == 403
    assert "Access-Control-Allow-Origin" not in preflight
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response


def test_the_rest_of_the_api_sends_no_cors_headers_even_to_the_shop(shop):
    response = client(shop["secret"]).get("/api/v1/customers/", HTTP_ORIGIN=SHOP)

    assert "Access-Control-Allow-Origin" not in response


def test_the_widget_is_throttled_per_shopper_address_not_per_key(throttled, shop):
    throttled.THROTTLE_RATES = {"storefront": "2/minute"}
    api = client(shop["publishable"], SHOP)

    first = [api.get("/api/v1/storefront/bootstrap/", REMOTE_ADDR="198.51.100.1").status_code
             for _ in range(3)]
    other = api.get("/api/v1/storefront/bootstrap/", REMOTE_ADDR="198.51.100.2").status_code

    assert first == [200, 200, 429]
    assert other == 200


def test_a_signed_in_shopper_is_not_told_about_publishable_keys(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory(email="ada@example.com"))

    response = client.get("/api/v1/customers/")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
