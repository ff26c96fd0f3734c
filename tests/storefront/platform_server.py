"""A local stand-in for a shop platform's API: a real HTTP server on 127.0.0.1 (port 0: the
system picks a free one) that records every request and answers what the test scripted, in
order. Each test scripts the answers the platforms' documentation shows."""

import contextlib
import datetime as dt
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from storefront.models import DiscountSync
from tests.factories import ExternalIdFactory
from tests.loyalty.conftest import customer_with


@dataclass
class Seen:
    method: str
    path: str
    headers: dict
    body: object


@dataclass
class PlatformServer:
    url: str = ""
    requests: list[Seen] = field(default_factory=list)
    answers: list[tuple[int, dict, object]] = field(default_factory=list)

    def answer(self, status: int, body, headers: dict | None = None) -> None:
        """Script the next answer; `body` may be a function of the request (Seen)."""
        self.answers.append((status, headers or {}, body))


def serve() -> tuple[PlatformServer, ThreadingHTTPServer]:
    state = PlatformServer()

    class Handler(BaseHTTPRequestHandler):
        def _handle(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            state.requests.append(Seen(
                method=self.command, path=self.path,
                headers={k.lower(): v for k, v in self.headers.items()},
                body=json.loads(raw) if raw else None))
            status, headers, body = (state.answers.pop(0) if state.answers
                                     else (500, {}, {"error": "no answer scripted"}))
            if callable(body):
                body = body(state.requests[-1])
            data = json.dumps(body).encode() if not isinstance(body, str) else body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = _handle

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                     daemon=True).start()
    return state, server


@contextlib.contextmanager
def running() -> Iterator[PlatformServer]:
    """A platform server for the block (the `platform` fixtures of tests/storefront and the
    browser tests)."""
    state, server = serve()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


# The answers the platforms' documentation shows (sources in test_discount_codes.py).

NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
SHOPIFY_CUSTOMER = "603851970716743426"
TOKEN = "shpat_0123456789abcdef"
CK, CS = "ck_4a1b2c3d4e5f", "cs_9f8e7d6c5b4a"


def shopify_customer():
    customer = customer_with(500, email="grace@example.com")
    ExternalIdFactory(customer=customer, source="shopify", external_id=SHOPIFY_CUSTOMER)
    return customer


def sync_of(redemption) -> DiscountSync:
    return DiscountSync.objects.get(redemption=redemption)


def created(node_id="gid://shopify/DiscountCodeNode/1057371186"):
    """discountCodeBasicCreate's answer, as in Shopify's reference."""
    return {
        "data": {"discountCodeBasicCreate": {"codeDiscountNode": {"id": node_id},
                                             "userErrors": []}},
        "extensions": {"cost": {"requestedQueryCost": 10, "actualQueryCost": 10,
                                "throttleStatus": {"maximumAvailable": 2000.0,
                                                   "currentlyAvailable": 1990,
                                                   "restoreRate": 100.0}}},
    }


TAKEN = {"data": {"discountCodeBasicCreate": {"codeDiscountNode": None, "userErrors": [{
    "field": ["basicCodeDiscount", "code"],
    "message": "Code must be unique. Please try a different code.", "code": "TAKEN"}]}}}

THROTTLED = {
    "errors": [{"message": "Throttled", "extensions": {
        "code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
    "extensions": {"cost": {"requestedQueryCost": 202, "actualQueryCost": None,
                            "throttleStatus": {"maximumAvailable": 1000.0,
                                               "currentlyAvailable": 118,
                                               "restoreRate": 50.0}}},
}


def woo_coupon(code: str, *, coupon_id=719, email="ada@example.com", **fields) -> dict:
    """A coupon object as WooCommerce's REST API answers it (codes are stored lower case)."""
    return {
        "id": coupon_id, "code": code.lower(), "amount": "5.00", "status": "publish",
        "date_created": "2026-12-01T10:00:00", "date_created_gmt": "2026-12-01T10:00:00",
        "date_modified": "2026-12-01T10:00:00", "date_modified_gmt": "2026-12-01T10:00:00",
        "discount_type": "fixed_cart", "description": "", "date_expires": "2027-03-01T10:00:00",
        "date_expires_gmt": "2027-03-01T10:00:00", "usage_count": 0, "individual_use": False,
        "product_ids": [], "excluded_product_ids": [], "usage_limit": 1,
        "usage_limit_per_user": 1, "limit_usage_to_x_items": None, "free_shipping": False,
        "product_categories": [], "excluded_product_categories": [],
        "exclude_sale_items": False, "minimum_amount": "0.00", "maximum_amount": "0.00",
        "email_restrictions": [email], "used_by": [], "meta_data": [],
        "_links": {"self": [{"href": f"https://shop.example.com/wp-json/wc/v3/coupons/"
                                     f"{coupon_id}"}],
                   "collection": [{"href": "https://shop.example.com/wp-json/wc/v3/coupons"}]},
        **fields,
    }
