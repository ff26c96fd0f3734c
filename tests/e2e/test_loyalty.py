"""The shopper's loyalty path on a phone: sign in, see points and tier progress, redeem a
reward with a confirmation step, see and copy the voucher code."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from loyalty import services
from loyalty.models import Redemption
from tests.e2e.test_account import assert_no_horizontal_scroll
from tests.factories import CustomerFactory, RewardFactory, TierFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "plum-kettle-orbit-42"


def test_a_shopper_sees_points_and_progress_redeems_and_gets_a_code(page):
    TierFactory(name="Bronze", position=1, threshold=Decimal("0"))
    TierFactory(name="Silver", position=2, threshold=Decimal("300"))
    TierFactory(name="Gold", position=3, threshold=Decimal("1000"))
    RewardFactory(name="€5 off", cost=200)
    RewardFactory(name="Free serum", kind="free_product", sku="SER-1", amount=None,
                  currency="", cost=5000)
    user = UserFactory(email="ada@example.com", password=PASSWORD)
    customer = CustomerFactory(email="ada@example.com", first_name="Ada", user=user)
    services.points_award(customer=customer, points=450, key="welcome")

    page.goto("/account/")
    page.get_by_label("Email address").fill("ada@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name="Your points")).to_be_visible()
    expect(page.get_by_test_id("points-available")).to_have_text("450")
    expect(page.get_by_text("Silver member")).to_be_visible()
    expect(page.get_by_text("Earn 550 more points to reach Gold.")).to_be_visible()
    expect(page.get_by_role("progressbar")).to_have_attribute("value", "45")
    expect(page.get_by_text("4550 more points needed")).to_be_visible()
    assert_no_horizontal_scroll(page)

    page.get_by_role("link", name="Redeem €5 off").click()
    expect(page.get_by_role("heading", name="Redeem €5 off?")).to_be_visible()
    assert_no_horizontal_scroll(page)
    page.get_by_role("button", name="Yes, redeem it").click()

    code = Redemption.objects.get(account__customer=customer).code
    expect(page.get_by_role("status").filter(has_text="Done!")).to_contain_text(code)
    expect(page.get_by_test_id("points-available")).to_have_text("250")
    field = page.get_by_label("Voucher code for €5 off")
    expect(field).to_have_value(code)
    copy = page.locator("button[data-copy^='voucher-']")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    copy.click()
    expect(copy).to_have_text("Copied")
    expect(page.get_by_role("status").filter(has_text="Copied")).to_have_count(1)
    assert page.evaluate("navigator.clipboard.readText()") == code
    expect(copy).to_have_text("Copy")
    assert_no_horizontal_scroll(page)
