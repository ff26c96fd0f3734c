"""Staff set up the platform connection and follow each voucher's code in admin."""

import pytest

from kernel.errors import Conflict
from storefront import discounts
from storefront.models import PlatformConnection
from tests.factories import RewardFactory
from tests.loyalty.conftest import customer_with
from tests.storefront.platform_server import TOKEN, created, shopify_customer, sync_of

pytestmark = pytest.mark.django_db

SETTINGS = "/admin/storefront/platformconnection/"
SYNCS = "/admin/storefront/discountsync/"


def save_settings(admin_client, **fields):
    data = {"platform": "shopify", "shop_url": "my-shop.myshopify.com",
            "shopify_api_version": "2026-10", "access_token": "", "consumer_key": "",
            "consumer_secret": "", **fields}
    return admin_client.post(f"{SETTINGS}1/change/", data)


def test_the_connection_is_set_in_admin_and_its_secrets_are_never_shown_back(admin_client):
    assert admin_client.get(SETTINGS).url == f"{SETTINGS}1/change/"

    assert save_settings(admin_client, access_token=TOKEN).status_code == 302
    page = admin_client.get(f"{SETTINGS}1/change/").content.decode()
    assert TOKEN not in page
    assert "Stored: …cdef. Leave empty to keep it." in page
    # An empty field keeps the stored secret.
    assert save_settings(admin_client, shop_url="other.myshopify.com").status_code == 302
    connection = PlatformConnection.get()
    assert (connection.shop_url, connection.access_token) == ("other.myshopify.com", TOKEN)


def test_a_platform_needs_its_credentials_and_woocommerce_https(admin_client):
    admin_client.get(SETTINGS)  # the row, with its defaults
    missing = save_settings(admin_client)
    assert missing.status_code == 200
    assert "Required for this platform." in missing.content.decode()

    plain = save_settings(admin_client, platform="woocommerce",
                          shop_url="http://shop.example.com", consumer_key="ck_1",
                          consumer_secret="cs_1")
    assert "only accepts its keys over HTTPS" in plain.content.decode()
    assert not PlatformConnection.get().is_configured


def test_staff_see_a_failed_code_with_its_error_and_push_it_again(
        admin_client, shopify, redeem, django_capture_on_commit_callbacks):
    shopify.answer(401, {"errors": "[API] Invalid API key or access token (unrecognized login "
                                   "or wrong password)"})
    redemption = redeem(shopify_customer(), RewardFactory(cost=100))
    sync = sync_of(redemption)

    listing = admin_client.get(SYNCS, {"status__exact": "failed"}).content.decode()
    assert redemption.code in listing
    assert "Failed" in listing
    assert "refused the credentials (401)" in listing
    detail = admin_client.get(f"{SYNCS}{sync.pk}/change/").content.decode()
    assert "Invalid API key or access token" in detail

    confirm = admin_client.post(SYNCS, {"action": "push_again", "_selected_action": [sync.pk]})
    assert "Sync the codes with the shop again?" in confirm.content.decode()
    assert redemption.code in confirm.content.decode()
    assert sync_of(redemption).status == "failed"  # nothing happens before the confirmation

    shopify.answer(200, created("gid://shopify/DiscountCodeNode/31"))
    with django_capture_on_commit_callbacks(execute=True):
        done = admin_client.post(SYNCS, {"action": "push_again",
                                         "_selected_action": [sync.pk], "post": "yes"},
                                 follow=True)

    assert "Queued 1 code for the shop." in done.content.decode()
    sync.refresh_from_db()
    assert (sync.status, sync.external_id, sync.attempts) == (
        "synced", "gid://shopify/DiscountCodeNode/31", 1)
    assert "Synced" in admin_client.get(SYNCS).content.decode()


def test_pushing_a_synced_code_again_is_refused(admin_client, shopify, redeem,
                                                django_capture_on_commit_callbacks):
    shopify.answer(200, created())
    sync = sync_of(redeem(shopify_customer(), RewardFactory(cost=100)))
    free = sync_of(redeem(customer_with(500), RewardFactory(
        cost=100, kind="free_shipping", amount=None, currency="")))

    with django_capture_on_commit_callbacks(execute=True):
        done = admin_client.post(SYNCS, {"action": "push_again",
                                         "_selected_action": [sync.pk, free.pk], "post": "yes"},
                                 follow=True)

    assert "Queued 0 codes for the shop." in done.content.decode()
    assert (sync_of(sync.redemption).status, sync_of(free.redemption).status) == (
        "synced", "not_needed")
    assert len(shopify.requests) == 1
    with pytest.raises(Conflict) as refused:
        discounts.discount_sync_retry(sync=sync)
    assert refused.value.code == "discount_already_synced"
    with pytest.raises(Conflict) as refused:
        discounts.discount_sync_retry(sync=free)
    assert refused.value.code == "discount_not_supported"


def test_the_vouchers_own_page_and_list_show_its_codes_sync_state(admin_client, shopify,
                                                                   redeem):
    shopify.answer(502, "<html><body>Bad gateway</body></html>")
    redemption = redeem(shopify_customer(), RewardFactory(cost=100))

    listing = admin_client.get("/admin/loyalty/redemption/",
                               {"discount_sync__status__exact": "failed"}).content.decode()
    assert redemption.code in listing
    assert "Code in the shop" in listing
    page = admin_client.get(f"/admin/loyalty/redemption/{redemption.pk}/change/"
                            ).content.decode()
    assert "Discount code in the shop" in page
    assert "Failed" in page
    assert "Shopify server error (502)" in page
