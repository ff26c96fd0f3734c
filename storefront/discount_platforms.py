"""Tiny clients for the three calls Flywheel makes to a shop's platform: create a discount
code, find one by its code (to tell "already created by us" from "taken by someone else"), and
delete one (its voucher was cancelled).

Plain `urllib`, as outbound webhooks do, rather than the platforms' Python packages: ShopifyAPI
keeps its session in class attributes (shared by every thread of a worker) and only accepts API
versions from a list frozen in its release (long past Shopify's support window), and the
`woocommerce` package signs plain-HTTP requests with OAuth 1.0a query strings and wraps
`requests` for what is one JSON POST here. Three requests per platform don't need either.

Shopify: Admin GraphQL API, `discountCodeBasicCreate`, header `X-Shopify-Access-Token`
(https://shopify.dev/docs/api/admin-graphql/latest/mutations/discountCodeBasicCreate).
WooCommerce: REST API v3, `POST /wp-json/wc/v3/coupons`, HTTP Basic auth with the consumer key
and secret over HTTPS (https://woocommerce.github.io/woocommerce-rest-api-docs/#coupons).
"""

import base64
import datetime as dt
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from decimal import Decimal

TIMEOUT_SECONDS = 15
USER_AGENT = "Flywheel discount sync"
AMOUNT, PERCENT = "amount", "percent"


@dataclass(frozen=True, slots=True)
class DiscountSpec:
    """The discount code to create, whatever the platform."""

    code: str
    title: str
    kind: str  # AMOUNT or PERCENT
    value: Decimal  # the amount off in the shop's currency, or the percent (1-100)
    starts_at: dt.datetime
    ends_at: dt.datetime
    customer_email: str
    shopify_customer_gid: str = ""


class PlatformError(Exception):
    """The platform refused or did not answer. `transient`: trying again later may work (a
    rate limit, a server error, no answer); `retry_after`: seconds the platform asked for."""

    def __init__(self, message: str, *, transient: bool = False,
                 retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.transient = transient
        self.retry_after = retry_after


class CodeTaken(Exception):
    """The platform already has a discount with this code."""


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: dict
    body: object  # parsed JSON, or the text when it is not JSON


def _send(method: str, url: str, *, headers: dict, payload: dict | None = None) -> Answer:
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Accept": "application/json", "User-Agent": USER_AGENT,
        **({"Content-Type": "application/json"} if data is not None else {}), **headers})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            status, answer_headers, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        status, answer_headers, raw = exc.code, exc.headers, exc.read()
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise PlatformError(f"No answer from {urllib.parse.urlsplit(url).netloc}: "
                            f"{getattr(exc, 'reason', exc)}", transient=True) from exc
    text = raw.decode(errors="replace")
    try:
        body = json.loads(text) if text else None
    except ValueError:
        body = text[:500]
    return Answer(status=status, headers={k.lower(): v for k, v in (answer_headers or {}).items()},
                  body=body)


def _retry_after(answer: Answer) -> float | None:
    try:
        return max(0.0, float(answer.headers.get("retry-after", "")))
    except ValueError:
        return None


def _http_failure(answer: Answer, platform: str) -> PlatformError:
    """The error for a non-2xx answer: 429 and 5xx pass, the rest needs a person."""
    detail = answer.body if isinstance(answer.body, str) else json.dumps(answer.body)[:500]
    if answer.status == 429:
        return PlatformError(f"{platform} rate limit (429): {detail}", transient=True,
                             retry_after=_retry_after(answer))
    if answer.status >= 500:
        return PlatformError(f"{platform} server error ({answer.status}): {detail}",
                             transient=True, retry_after=_retry_after(answer))
    if answer.status in (401, 403):
        return PlatformError(f"{platform} refused the credentials ({answer.status}): {detail}")
    return PlatformError(f"{platform} refused the request ({answer.status}): {detail}")


def _base_url(shop_url: str) -> str:
    """`my-shop.myshopify.com` or a full address (http is only for a local test server)."""
    shop_url = shop_url.strip().rstrip("/")
    return shop_url if "://" in shop_url else f"https://{shop_url}"


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


# Shopify --------------------------------------------------------------------------------------

CREATE_MUTATION = """
mutation discountCodeBasicCreate($basicCodeDiscount: DiscountCodeBasicInput!) {
  discountCodeBasicCreate(basicCodeDiscount: $basicCodeDiscount) {
    codeDiscountNode { id }
    userErrors { field code message }
  }
}"""

FIND_QUERY = """
query codeDiscountNodeByCode($code: String!) {
  codeDiscountNodeByCode(code: $code) {
    id
    codeDiscount { __typename ... on DiscountCodeBasic { title } }
  }
}"""


CUSTOMER_QUERY = """
query customerByEmail($query: String!) {
  customers(first: 1, query: $query) { nodes { id email } }
}"""

DELETE_MUTATION = """
mutation discountCodeDelete($id: ID!) {
  discountCodeDelete(id: $id) {
    deletedCodeDiscountId
    userErrors { field code message }
  }
}"""


def shopify_customer_gid(external_id: str) -> str:
    """Shopify's global id for a customer id as its webhooks send it (`207119551`)."""
    return external_id if external_id.startswith("gid://") else (
        f"gid://shopify/Customer/{external_id}")


class ShopifyClient:
    name = "Shopify"

    def __init__(self, *, shop_url: str, access_token: str, api_version: str):
        self.url = f"{_base_url(shop_url)}/admin/api/{api_version}/graphql.json"
        self.access_token = access_token

    def _graphql(self, query: str, variables: dict) -> dict:
        answer = _send("POST", self.url, headers={"X-Shopify-Access-Token": self.access_token},
                       payload={"query": query, "variables": variables})
        if answer.status != 200:
            raise _http_failure(answer, self.name)
        body = answer.body if isinstance(answer.body, dict) else {}
        errors = body.get("errors")
        if errors:
            if any((e.get("extensions") or {}).get("code") == "THROTTLED"
                   or e.get("message") == "Throttled" for e in errors if isinstance(e, dict)):
                raise PlatformError("Shopify throttled the request (THROTTLED)", transient=True,
                                    retry_after=self._throttle_wait(body))
            messages = "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e)
                                 for e in (errors if isinstance(errors, list) else [errors]))
            raise PlatformError(f"Shopify GraphQL errors: {messages}")
        return body.get("data") or {}

    @staticmethod
    def _throttle_wait(body: dict) -> float | None:
        """Seconds until the bucket holds the query's cost again: (requested - available) /
        restore rate, from `extensions.cost`."""
        cost = (body.get("extensions") or {}).get("cost") or {}
        status = cost.get("throttleStatus") or {}
        try:
            needed = float(cost["requestedQueryCost"]) - float(status["currentlyAvailable"])
            return max(1.0, needed / float(status["restoreRate"]))
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            return None

    @staticmethod
    def payload(spec: DiscountSpec) -> dict:
        value: dict[str, object] = (
            {"percentage": float(spec.value) / 100} if spec.kind == PERCENT else
            {"discountAmount": {"amount": str(spec.value), "appliesOnEachItem": False}})
        return {
            "title": spec.title,
            "code": spec.code,
            "startsAt": _iso(spec.starts_at),
            "endsAt": _iso(spec.ends_at),
            "context": {"customers": {"add": [spec.shopify_customer_gid]}},
            "customerGets": {"value": value, "items": {"all": True}},
            "appliesOncePerCustomer": True,
            "usageLimit": 1,
        }

    def discount_create(self, spec: DiscountSpec) -> str:
        """The new discount's id; CodeTaken when the code exists already."""
        data = self._graphql(CREATE_MUTATION, {"basicCodeDiscount": self.payload(spec)})
        result = data.get("discountCodeBasicCreate") or {}
        user_errors = result.get("userErrors") or []
        if any(e.get("code") == "TAKEN" or "must be unique" in str(e.get("message", "")).lower()
               for e in user_errors):
            raise CodeTaken(spec.code)
        if user_errors:
            raise PlatformError("Shopify refused the discount: " + "; ".join(
                f"{'.'.join(e.get('field') or [])}: {e.get('message')}" for e in user_errors))
        node = result.get("codeDiscountNode") or {}
        if not node.get("id"):
            raise PlatformError("Shopify answered without a discount id", transient=True)
        return node["id"]

    def discount_find(self, spec: DiscountSpec) -> str | None:
        """The id of this code's discount when it is the one Flywheel made (same title)."""
        node = self._graphql(FIND_QUERY, {"code": spec.code}).get("codeDiscountNodeByCode")
        if node and (node.get("codeDiscount") or {}).get("title") == spec.title:
            return node["id"]
        return None


    def customer_find(self, email: str) -> str | None:
        """The global id of the shop's customer with this email, if any (read_customers)."""
        escaped = email.replace("\\", "\\\\").replace('"', '\\"')
        data = self._graphql(CUSTOMER_QUERY, {"query": f'email:"{escaped}"'})
        for node in (data.get("customers") or {}).get("nodes") or []:
            if str(node.get("email", "")).lower() == email.lower():
                return node["id"]
        return None

    def discount_delete(self, external_id: str) -> None:
        """Delete the discount; one that no longer exists is gone already."""
        data = self._graphql(DELETE_MUTATION, {"id": external_id})
        user_errors = (data.get("discountCodeDelete") or {}).get("userErrors") or []
        messages = [str(e.get("message", "")) for e in user_errors]
        if messages and not all("not exist" in m.lower() or "not found" in m.lower()
                                for m in messages):
            raise PlatformError("Shopify refused to delete the discount: " + "; ".join(messages))


# WooCommerce ----------------------------------------------------------------------------------


class WooCommerceClient:
    name = "WooCommerce"

    def __init__(self, *, shop_url: str, consumer_key: str, consumer_secret: str):
        self.url = f"{_base_url(shop_url)}/wp-json/wc/v3/coupons"
        token = base64.b64encode(f"{consumer_key}:{consumer_secret}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}"}

    @staticmethod
    def payload(spec: DiscountSpec) -> dict:
        return {
            "code": spec.code,
            "discount_type": "percent" if spec.kind == PERCENT else "fixed_cart",
            "amount": str(spec.value),
            "description": spec.title,
            "date_expires": _iso(spec.ends_at),
            "usage_limit": 1,
            "usage_limit_per_user": 1,
            "individual_use": False,
            "email_restrictions": [spec.customer_email],
        }

    def discount_create(self, spec: DiscountSpec) -> str:
        answer = _send("POST", self.url, headers=self.headers, payload=self.payload(spec))
        body = answer.body if isinstance(answer.body, dict) else {}
        if answer.status == 400 and body.get("code") == (
                "woocommerce_rest_coupon_code_already_exists"):
            raise CodeTaken(spec.code)
        if answer.status not in (200, 201):
            raise _http_failure(answer, self.name)
        if not body.get("id"):
            raise PlatformError("WooCommerce answered without a coupon id", transient=True)
        return str(body["id"])

    def discount_find(self, spec: DiscountSpec) -> str | None:
        """The id of this code's coupon when it is the one Flywheel made (same customer)."""
        query = urllib.parse.urlencode({"code": spec.code})
        answer = _send("GET", f"{self.url}?{query}", headers=self.headers)
        if answer.status != 200:
            raise _http_failure(answer, self.name)
        for coupon in answer.body if isinstance(answer.body, list) else []:
            emails = [str(e).lower() for e in coupon.get("email_restrictions") or []]
            # WooCommerce stores codes in lower case.
            if (str(coupon.get("code", "")).lower() == spec.code.lower()
                    and spec.customer_email.lower() in emails):
                return str(coupon["id"])
        return None

    def discount_delete(self, external_id: str) -> None:
        """Delete the coupon for good (`force=true`: not to the trash, where its code would
        still be taken); a coupon that no longer exists (404) is gone already."""
        answer = _send("DELETE", f"{self.url}/{urllib.parse.quote(external_id)}?force=true",
                       headers=self.headers)
        if answer.status not in (200, 404):
            raise _http_failure(answer, self.name)
