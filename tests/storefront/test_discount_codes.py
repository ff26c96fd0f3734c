"""Vouchers become real discount codes in the shop's platform.

The platform is a local HTTP server (tests/storefront/platform_server.py) answering as the
platforms' documentation shows:
- Shopify, Admin GraphQL API: the `discountCodeBasicCreate` reference (request with
  `X-Shopify-Access-Token`, `codeDiscountNode { id }` and `userErrors { field code message }`
  in the answer; https://shopify.dev/docs/api/admin-graphql/latest/mutations/
  discountCodeBasicCreate), the `TAKEN` user error "Code must be unique. Please try a
  different code." on `["basicCodeDiscount", "code"]`, the 401 body "[API] Invalid API key or
  access token (unrecognized login or wrong password)", and the throttled answer of the
  GraphQL rate-limit guide (errors[].extensions.code THROTTLED with extensions.cost.
  throttleStatus; https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits).
- WooCommerce, REST API v3: "Create a coupon" (`POST /wp-json/wc/v3/coupons`, 201 with the
  coupon object; https://woocommerce.github.io/woocommerce-rest-api-docs/#create-a-coupon),
  "List all coupons" filtered by `code`, the `woocommerce_rest_coupon_code_already_exists` 400
  and `woocommerce_rest_cannot_create` 401 error bodies of WC_REST_Coupons_V2_Controller and
  WC_REST_CRUD_Controller, and a 429 with Retry-After.
"""

import base64
import datetime as dt
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from celery import current_app

from loyalty import services as loyalty
from storefront import discounts
from storefront import tasks as discounts_tasks
from storefront.discount_platforms import ShopifyClient
from storefront.models import PlatformConnection
from tests.factories import RewardFactory
from tests.loyalty.conftest import customer_with
from tests.storefront.platform_server import (
    CK,
    CS,
    NOW,
    SHOPIFY_CUSTOMER,
    TAKEN,
    THROTTLED,
    TOKEN,
    created,
    shopify_customer,
    sync_of,
    woo_coupon,
)

pytestmark = pytest.mark.django_db

# Shopify


def test_a_redeemed_reward_becomes_a_single_use_shopify_code_for_that_customer(shopify, redeem):
    shopify.answer(200, created())
    redemption = redeem(shopify_customer(), RewardFactory(cost=100, voucher_valid_days=90))

    [request] = shopify.requests
    assert (request.method, request.path) == ("POST", "/admin/api/2026-10/graphql.json")
    assert request.headers["x-shopify-access-token"] == TOKEN
    assert request.headers["content-type"] == "application/json"
    assert "discountCodeBasicCreate(basicCodeDiscount: $basicCodeDiscount)" in (
        request.body["query"])
    assert request.body["variables"] == {"basicCodeDiscount": {
        "title": f"€5 off – {redemption.code}",
        "code": redemption.code,
        "startsAt": "2026-12-01T10:00:00Z",
        "endsAt": "2027-03-01T10:00:00Z",
        "context": {"customers": {"add": [f"gid://shopify/Customer/{SHOPIFY_CUSTOMER}"]}},
        "customerGets": {"value": {"discountAmount": {"amount": "5.00",
                                                      "appliesOnEachItem": False}},
                         "items": {"all": True}},
        "appliesOncePerCustomer": True,
        "usageLimit": 1,
    }}
    sync = sync_of(redemption)
    assert (sync.status, sync.platform, sync.external_id, sync.attempts) == (
        "synced", "shopify", "gid://shopify/DiscountCodeNode/1057371186", 1)
    assert sync.synced_at == NOW


def test_a_percentage_reward_is_a_percentage_off_in_shopify(shopify, redeem):
    shopify.answer(200, created())
    redeem(shopify_customer(), RewardFactory(kind="percent_off", percent=15, amount=None,
                                             currency="", name="15% off"))

    value = shopify.requests[0].body["variables"]["basicCodeDiscount"]["customerGets"]["value"]
    assert value == {"percentage": 0.15}


def test_a_code_shopify_already_has_from_flywheel_counts_as_synced(shopify, redeem):
    """A retry after a lost answer: the code was made, so Shopify says TAKEN; Flywheel finds
    it by its code, sees its own title, and does not make it again."""
    shopify.answer(200, TAKEN)
    shopify.answer(200, lambda seen: {"data": {"codeDiscountNodeByCode": {
        "id": "gid://shopify/DiscountCodeNode/77",
        "codeDiscount": {"__typename": "DiscountCodeBasic",
                         "title": f"€5 off – {seen.body['variables']['code']}"}}}})

    redemption = redeem(shopify_customer(), RewardFactory(cost=100))

    find = shopify.requests[1]
    assert "codeDiscountNodeByCode(code: $code)" in find.body["query"]
    assert find.body["variables"] == {"code": redemption.code}
    assert find.headers["x-shopify-access-token"] == TOKEN
    sync = sync_of(redemption)
    assert (sync.status, sync.external_id) == ("synced", "gid://shopify/DiscountCodeNode/77")


def test_a_code_taken_by_another_discount_fails_and_waits_for_staff(shopify, redeem):
    shopify.answer(200, TAKEN)
    shopify.answer(200, {"data": {"codeDiscountNodeByCode": {
        "id": "gid://shopify/DiscountCodeNode/5",
        "codeDiscount": {"__typename": "DiscountCodeBasic", "title": "Summer sale"}}}})

    sync = sync_of(redeem(shopify_customer(), RewardFactory(cost=100)))

    assert sync.status == "failed"
    assert "did not create" in sync.last_error
    assert sync.next_attempt_at is None


def test_refused_credentials_fail_without_retrying(shopify, redeem):
    shopify.answer(401, {"errors": "[API] Invalid API key or access token (unrecognized login "
                                   "or wrong password)"})

    sync = sync_of(redeem(shopify_customer(), RewardFactory(cost=100)))

    assert sync.status == "failed"
    assert "refused the credentials (401)" in sync.last_error
    assert "Invalid API key" in sync.last_error
    assert sync.next_attempt_at is None
    assert len(shopify.requests) == 1


def test_shopify_user_errors_are_shown_and_wait_for_staff(shopify, redeem):
    shopify.answer(200, {"data": {"discountCodeBasicCreate": {"codeDiscountNode": None,
                                                              "userErrors": [{
        "field": ["basicCodeDiscount", "endsAt"], "code": "INVALID",
        "message": "Ends at needs to be after starts_at"}]}}})

    sync = sync_of(redeem(shopify_customer(), RewardFactory(cost=100)))

    assert sync.status == "failed"
    assert sync.last_error == ("Shopify refused the discount: basicCodeDiscount.endsAt: Ends at "
                               "needs to be after starts_at")
    assert sync.next_attempt_at is None


def test_throttled_answers_are_retried_after_the_bucket_refills(shopify, redeem):
    shopify.answer(200, THROTTLED)

    sync = sync_of(redeem(shopify_customer(), RewardFactory(cost=100)))

    assert sync.status == "failed"
    assert "THROTTLED" in sync.last_error
    assert sync.next_attempt_at == NOW + dt.timedelta(seconds=30)
    # The documented example: (202 requested - 118 available) / 50 per second.
    assert ShopifyClient._throttle_wait(THROTTLED) == pytest.approx(1.68)


def test_a_429_waits_at_least_its_retry_after(shopify, redeem):
    shopify.answer(429, {"errors": "Exceeded 2 calls per second for api client. Reduce request "
                                   "rates to resume uninterrupted service."},
                   headers={"Retry-After": "120.0"})

    sync = sync_of(redeem(shopify_customer(), RewardFactory(cost=100)))

    assert (sync.status, sync.attempts) == ("failed", 1)
    assert "rate limit (429)" in sync.last_error
    assert sync.next_attempt_at == NOW + dt.timedelta(seconds=120)


def test_a_lost_retry_is_swept_after_its_grace(shopify, redeem, monkeypatch):
    # With a broker the retry waits in a task; the beat's sweep re-queues it only once the
    # task is SWEEP_GRACE late, so a waiting retry is never sent twice.
    shopify.answer(503, {"errors": "Service Unavailable"})
    sync = sync_of(redeem(shopify_customer(), RewardFactory(cost=100)))
    assert (sync.status, sync.next_attempt_at) == ("failed", NOW + dt.timedelta(seconds=30))

    current_app.conf.task_always_eager = False  # as with a broker (reset by _eager_celery)
    queued = []
    monkeypatch.setattr(discounts_tasks.discount_sync_push_task, "delay", queued.append)
    due = NOW + dt.timedelta(seconds=30)
    assert discounts.discount_syncs_due(now=due) == 0
    assert discounts.discount_syncs_due(now=due + discounts.SWEEP_GRACE) == 1
    assert queued == [sync.pk]


def test_a_server_error_is_retried_with_backoff_until_it_works(
        shopify, redeem, django_capture_on_commit_callbacks):
    # Without a broker (tasks inline, as in these tests) the sweep is the retry; with one, it
    # only picks up a retry whose task was lost (test_a_lost_retry_is_swept_after_its_grace).
    shopify.answer(503, {"errors": "Service Unavailable"})
    shopify.answer(502, "<html><body>Bad gateway</body></html>")
    shopify.answer(200, created("gid://shopify/DiscountCodeNode/9"))
    redemption = redeem(shopify_customer(), RewardFactory(cost=100))
    sync = sync_of(redemption)
    assert (sync.status, sync.attempts, sync.next_attempt_at) == (
        "failed", 1, NOW + dt.timedelta(seconds=30))
    assert "server error (503)" in sync.last_error

    # The sweep sends nothing before the retry is due...
    assert discounts.discount_syncs_due(now=NOW + dt.timedelta(seconds=29)) == 0
    # ...then retries, each time waiting twice as long.
    assert discounts.discount_syncs_due(now=NOW + dt.timedelta(seconds=30)) == 1
    sync.refresh_from_db()
    assert (sync.status, sync.attempts) == ("failed", 2)
    assert sync.next_attempt_at == NOW + dt.timedelta(seconds=60)
    assert discounts.discount_syncs_due(now=NOW + dt.timedelta(seconds=60)) == 1

    sync.refresh_from_db()
    assert (sync.status, sync.attempts, sync.external_id) == (
        "synced", 3, "gid://shopify/DiscountCodeNode/9")
    assert sync.last_error == ""
    assert len(shopify.requests) == 3
    # Synced: never pushed again.
    assert discounts.discount_syncs_due(now=NOW + dt.timedelta(days=1)) == 0
    discounts.discount_sync_push(sync_id=sync.pk)
    assert len(shopify.requests) == 3


def test_transient_failures_stop_after_the_last_attempt(shopify, redeem):
    for _ in range(discounts.MAX_ATTEMPTS):
        shopify.answer(500, {"errors": "Internal error"})
    sync = sync_of(redeem(shopify_customer(), RewardFactory(cost=100)))
    for _ in range(discounts.MAX_ATTEMPTS - 1):
        discounts.discount_sync_push(sync_id=sync.pk)

    sync.refresh_from_db()
    assert (sync.status, sync.attempts, sync.next_attempt_at) == (
        "failed", discounts.MAX_ATTEMPTS, None)


def test_a_customer_without_a_shopify_order_is_found_by_email(shopify, redeem):
    shopify.answer(200, {"data": {"customers": {"nodes": [
        {"id": "gid://shopify/Customer/1018520244", "email": "Ada@Example.com"}]}}})
    shopify.answer(200, created())

    sync = sync_of(redeem(customer_with(500, email="ada@example.com"),
                          RewardFactory(cost=100)))

    find = shopify.requests[0]
    assert "customers(first: 1, query: $query)" in find.body["query"]
    assert find.body["variables"] == {"query": 'email:"ada@example.com"'}
    context = shopify.requests[1].body["variables"]["basicCodeDiscount"]["context"]
    assert context == {"customers": {"add": ["gid://shopify/Customer/1018520244"]}}
    assert sync.status == "synced"


def test_a_customer_shopify_does_not_know_gets_no_code_anyone_could_use(shopify, redeem):
    shopify.answer(200, {"data": {"customers": {"nodes": []}}})

    sync = sync_of(redeem(customer_with(500), RewardFactory(cost=100)))

    assert sync.status == "failed"
    assert "has no customer with this email" in sync.last_error
    assert sync.next_attempt_at is None
    assert len(shopify.requests) == 1  # the look-up only: no discount was created


def test_a_reward_in_another_currency_is_not_pushed(shopify, redeem):
    sync = sync_of(redeem(shopify_customer(), RewardFactory(cost=100, currency="USD")))

    assert sync.status == "failed"
    assert "USD" in sync.last_error
    assert shopify.requests == []


# WooCommerce


def test_a_redeemed_reward_becomes_a_woocommerce_coupon_for_the_customers_email(woo, redeem):
    woo.answer(201, woo_coupon("placeholder"))
    redemption = redeem(customer_with(500, email="ada@example.com"),
                        RewardFactory(cost=100, voucher_valid_days=90))

    [request] = woo.requests
    assert (request.method, request.path) == ("POST", "/wp-json/wc/v3/coupons")
    assert request.headers["authorization"] == "Basic " + base64.b64encode(
        f"{CK}:{CS}".encode()).decode()
    assert request.headers["content-type"] == "application/json"
    assert request.body == {
        "code": redemption.code,
        "discount_type": "fixed_cart",
        "amount": "5.00",
        "description": f"€5 off – {redemption.code}",
        "date_expires": "2027-03-01T10:00:00Z",
        "usage_limit": 1,
        "usage_limit_per_user": 1,
        "individual_use": False,
        "email_restrictions": ["ada@example.com"],
    }
    sync = sync_of(redemption)
    assert (sync.status, sync.platform, sync.external_id) == ("synced", "woocommerce", "719")


def test_a_percentage_reward_is_a_percent_coupon(woo, redeem):
    woo.answer(201, woo_coupon("placeholder", discount_type="percent", amount="15.00"))
    redeem(customer_with(500), RewardFactory(kind="percent_off", percent=15, amount=None,
                                             currency=""))

    assert (woo.requests[0].body["discount_type"], woo.requests[0].body["amount"]) == (
        "percent", "15")


def test_a_coupon_woocommerce_already_has_for_that_customer_counts_as_synced(woo, redeem):
    woo.answer(400, {"code": "woocommerce_rest_coupon_code_already_exists",
                     "message": "The coupon code already exists", "data": {"status": 400}})
    woo.answer(200, lambda seen: [woo_coupon(parse_qs(urlsplit(seen.path).query)["code"][0],
                                             coupon_id=4242)])

    redemption = redeem(customer_with(500, email="ada@example.com"), RewardFactory(cost=100))

    get = woo.requests[1]
    assert (get.method, get.path) == ("GET", f"/wp-json/wc/v3/coupons?code={redemption.code}")
    assert get.headers["authorization"].startswith("Basic ")
    sync = sync_of(redemption)
    assert (sync.status, sync.external_id) == ("synced", "4242")


def test_a_coupon_of_the_same_code_for_someone_else_is_not_ours(woo, redeem):
    woo.answer(400, {"code": "woocommerce_rest_coupon_code_already_exists",
                     "message": "The coupon code already exists", "data": {"status": 400}})
    woo.answer(200, lambda seen: [woo_coupon(parse_qs(urlsplit(seen.path).query)["code"][0],
                                             email="someone@example.com")])

    sync = sync_of(redeem(customer_with(500, email="ada@example.com"), RewardFactory(cost=100)))

    assert sync.status == "failed"
    assert "did not create" in sync.last_error


def test_woocommerce_refusing_the_keys_fails_without_retrying(woo, redeem):
    woo.answer(401, {"code": "woocommerce_rest_cannot_create",
                     "message": "Sorry, you are not allowed to create resources.",
                     "data": {"status": 401}})

    sync = sync_of(redeem(customer_with(500), RewardFactory(cost=100)))

    assert sync.status == "failed"
    assert "refused the credentials (401)" in sync.last_error
    assert "woocommerce_rest_cannot_create" in sync.last_error
    assert sync.next_attempt_at is None


def test_a_woocommerce_429_waits_its_retry_after(woo, redeem):
    woo.answer(429, {"code": "rate_limit_exceeded",
                     "message": "Too many requests. Please wait and try again.",
                     "data": {"status": 429}}, headers={"Retry-After": "90"})

    sync = sync_of(redeem(customer_with(500), RewardFactory(cost=100)))

    assert (sync.status, sync.next_attempt_at) == ("failed", NOW + dt.timedelta(seconds=90))


def test_no_answer_at_all_is_retried(woo, redeem):
    PlatformConnection.objects.filter(pk=1).update(shop_url="http://127.0.0.1:9")

    sync = sync_of(redeem(customer_with(500), RewardFactory(cost=100)))

    assert sync.status == "failed"
    assert "No answer from 127.0.0.1:9" in sync.last_error
    assert sync.next_attempt_at == NOW + dt.timedelta(seconds=30)


# Not needed


def test_without_a_platform_vouchers_need_no_code(redeem):
    sync = sync_of(redeem(customer_with(500), RewardFactory(cost=100)))

    assert (sync.status, sync.platform) == ("not_needed", "")


def test_free_shipping_and_free_products_stay_in_flywheel(woo, redeem):
    sync = sync_of(redeem(customer_with(500), RewardFactory(
        cost=100, kind="free_shipping", amount=None, currency="")))

    assert sync.status == "not_needed"
    assert "Only amount-off and percentage-off" in sync.last_error
    assert woo.requests == []


def test_a_gift_voucher_is_pushed_too(woo, django_capture_on_commit_callbacks):
    woo.answer(201, woo_coupon("placeholder", coupon_id=88))
    with django_capture_on_commit_callbacks(execute=True):
        gift = loyalty.voucher_grant(customer=customer_with(0), reward=RewardFactory(cost=100),
                                     key="tier:1:entry")
        loyalty.voucher_grant(customer=gift.account.customer, reward=gift.reward,
                              key="tier:1:entry")  # the same gift again: nothing new

    assert sync_of(gift).status == "synced"
    assert len(woo.requests) == 1


def test_a_voucher_cancelled_before_its_push_needs_no_code(woo, redeem):
    woo.answer(503, {"code": "internal_server_error", "message": "", "data": {"status": 503}})
    redemption = redeem(customer_with(500), RewardFactory(cost=100))
    loyalty.voucher_cancel(redemption=redemption)

    discounts.discount_syncs_due(now=NOW + dt.timedelta(minutes=1))

    sync = sync_of(redemption)
    assert sync.status == "not_needed"
    assert len(woo.requests) == 1


def test_the_amount_sent_is_the_rewards(woo, redeem):
    woo.answer(201, woo_coupon("placeholder"))
    redeem(customer_with(500), RewardFactory(cost=100, amount=Decimal("12.50")))

    assert woo.requests[0].body["amount"] == "12.50"


def test_with_a_broker_the_task_retries_when_the_backoff_says(shopify, redeem, monkeypatch):
    """On a worker (not eager) a transient failure asks Celery to run the task again at the
    next attempt's time; a failure that needs staff does not."""
    from celery.exceptions import Retry

    from storefront.tasks import discount_sync_push_task

    shopify.answer(503, {"errors": "Service Unavailable"})
    sync = sync_of(redeem(shopify_customer(), RewardFactory(cost=100)))
    shopify.answer(503, {"errors": "Service Unavailable"})
    shopify.answer(401, {"errors": "[API] Invalid API key or access token (unrecognized login "
                                   "or wrong password)"})
    countdowns = []

    def retry(countdown):
        countdowns.append(countdown)
        return Retry()

    monkeypatch.setattr(discount_sync_push_task, "retry", retry)
    discount_sync_push_task.push_request(is_eager=False)
    try:
        with pytest.raises(Retry):
            discount_sync_push_task.run(sync.pk)
        discount_sync_push_task.run(sync.pk)  # the 401: no retry
    finally:
        discount_sync_push_task.pop_request()

    assert countdowns == [60]
    sync.refresh_from_db()
    assert (sync.status, sync.attempts, sync.next_attempt_at) == ("failed", 3, None)


# Cancelled vouchers


def test_cancelling_a_synced_voucher_deletes_its_shopify_code(shopify, redeem,
                                                               django_capture_on_commit_callbacks):
    shopify.answer(200, created("gid://shopify/DiscountCodeNode/206265824"))
    redemption = redeem(shopify_customer(), RewardFactory(cost=100))
    shopify.answer(200, {"data": {"discountCodeDelete": {
        "deletedCodeDiscountId": "gid://shopify/DiscountCodeNode/206265824", "userErrors": []}}})

    with django_capture_on_commit_callbacks(execute=True):
        loyalty.voucher_cancel(redemption=redemption)

    delete = shopify.requests[1]
    assert "discountCodeDelete(id: $id)" in delete.body["query"]
    assert delete.body["variables"] == {"id": "gid://shopify/DiscountCodeNode/206265824"}
    assert delete.headers["x-shopify-access-token"] == TOKEN
    assert sync_of(redemption).status == "removed"


def test_cancelling_a_synced_voucher_deletes_its_woocommerce_coupon_for_good(
        woo, redeem, django_capture_on_commit_callbacks):
    woo.answer(201, woo_coupon("placeholder", coupon_id=719))
    redemption = redeem(customer_with(500), RewardFactory(cost=100))
    woo.answer(503, {"code": "internal_server_error", "message": "", "data": {"status": 503}})
    woo.answer(404, {"code": "woocommerce_rest_shop_coupon_invalid_id", "message": "Invalid ID.",
                     "data": {"status": 404}})

    with django_capture_on_commit_callbacks(execute=True):
        loyalty.voucher_cancel(redemption=redemption)
    sync = sync_of(redemption)
    assert (sync.status, sync.next_attempt_at) == ("removing", NOW + dt.timedelta(seconds=30))

    discounts.discount_syncs_due(now=NOW + dt.timedelta(seconds=30))

    delete = woo.requests[2]
    assert (delete.method, delete.path) == ("DELETE", "/wp-json/wc/v3/coupons/719?force=true")
    assert delete.headers["authorization"].startswith("Basic ")
    assert sync_of(redemption).status == "removed"  # 404: gone already


def test_a_voucher_cancelled_while_its_code_is_made_has_the_code_deleted(
        woo, redeem, monkeypatch, django_capture_on_commit_callbacks):
    from storefront.discount_platforms import WooCommerceClient

    woo.answer(201, woo_coupon("placeholder", coupon_id=555))
    woo.answer(200, woo_coupon("placeholder", coupon_id=555))
    create = WooCommerceClient.discount_create

    def create_then_cancel(self, spec):
        coupon_id = create(self, spec)
        from loyalty.models import Redemption

        loyalty.voucher_cancel(redemption=Redemption.objects.get(code=spec.code))
        return coupon_id

    monkeypatch.setattr(WooCommerceClient, "discount_create", create_then_cancel)
    redemption = redeem(customer_with(500), RewardFactory(cost=100))

    assert [r.method for r in woo.requests] == ["POST", "DELETE"]
    assert woo.requests[1].path == "/wp-json/wc/v3/coupons/555?force=true"
    assert sync_of(redemption).status == "removed"


def test_the_states_of_a_customers_vouchers_are_read_in_one_go(woo, redeem):
    woo.answer(201, woo_coupon("placeholder"))
    woo.answer(401, {"code": "woocommerce_rest_cannot_create",
                     "message": "Sorry, you are not allowed to create resources.",
                     "data": {"status": 401}})
    customer = customer_with(500)
    synced, failed = (redeem(customer, RewardFactory(cost=100)) for _ in range(2))

    assert discounts.discount_sync_states(redemption_ids=[synced.pk, failed.pk, 0]) == {
        synced.pk: "synced", failed.pk: "failed"}


def test_the_command_pushes_the_due_codes_again(woo, redeem):
    from io import StringIO

    from django.core.management import call_command

    woo.answer(503, {"code": "internal_server_error", "message": "", "data": {"status": 503}})
    woo.answer(201, woo_coupon("placeholder"))
    redemption = redeem(customer_with(500), RewardFactory(cost=100))
    out = StringIO()

    with time_machine.travel(NOW + dt.timedelta(seconds=30), tick=False):
        call_command("retry_discount_codes", stdout=out)

    assert "1 discount codes pushed again." in out.getvalue()
    assert sync_of(redemption).status == "synced"


def test_a_held_tier_gift_is_pushed_once_usable(shopify, django_capture_on_commit_callbacks):
    held_until = NOW + dt.timedelta(days=14)
    with django_capture_on_commit_callbacks(execute=True):
        gift = loyalty.voucher_grant(customer=shopify_customer(), reward=RewardFactory(cost=100),
                                     key="tier:2:entry", held_until=held_until)
    assert (sync_of(gift).status, sync_of(gift).next_attempt_at) == ("pending", held_until)
    assert discounts.discount_syncs_due(now=NOW + dt.timedelta(days=13)) == 0
    assert shopify.requests == []

    shopify.answer(200, created())
    with time_machine.travel(held_until, tick=False):
        assert discounts.discount_syncs_due() == 1

    basic = shopify.requests[0].body["variables"]["basicCodeDiscount"]
    assert (basic["startsAt"], basic["endsAt"]) == ("2026-12-15T10:00:00Z",
                                                    "2027-03-15T10:00:00Z")
    assert sync_of(gift).status == "synced"
