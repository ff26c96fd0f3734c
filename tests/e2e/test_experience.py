"""What a new shopper understands at a glance, on a phone (390 px) and a desktop (1280 px): the
front page says what the program is, the points history names each entry's cause, the code of
a reward just redeemed is in view and focused, and the account page downloads everything and
asks for erasure with a confirmation. Screenshots go to $SCREENSHOTS (default
/tmp/flywheel-screenshots) for a person to look at."""

import datetime as dt
import json
import os
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from customers.models import Activity, Customer
from customers.services import activity_record
from loyalty import services
from loyalty.models import Redemption
from referrals import services as referral_services
from tests.factories import (
    ActivityRuleFactory,
    CustomerFactory,
    EarningRuleFactory,
    OrderFactory,
    QuizVersionFactory,
    RewardFactory,
    TierFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "plum-kettle-orbit-42"
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
SHOTS = Path(os.environ.get("SCREENSHOTS", "/tmp/flywheel-screenshots"))


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def no_horizontal_scroll(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


@pytest.fixture(params=list(SIZES))
def sized(request, page):
    page.set_viewport_size(SIZES[request.param])
    return page, request.param


def a_program():
    EarningRuleFactory(points_per_unit=Decimal("1"))
    ActivityRuleFactory(activity_kind="quiz_completed", points=50)
    ActivityRuleFactory(name="Referral", activity_kind="referral_converted", points=200)
    TierFactory(name="Member", position=1, threshold=Decimal("0"), perks="Birthday treat")
    TierFactory(name="Gold", position=2, threshold=Decimal("500"), perks="Free shipping")
    QuizVersionFactory(quiz__title="Find your skincare routine")


def test_the_front_page_says_what_the_program_is(sized, settings):
    page, size = sized
    settings.SHOP_URL = "https://shop.example.com"
    a_program()

    page.goto("/")

    expect(page.get_by_role("heading", level=1)).to_contain_text("rewards club")
    earn = page.get_by_test_id("ways-to-earn")
    expect(earn).to_contain_text("1 point per €1 spent")
    expect(earn).to_contain_text("50 points for taking a quiz")
    expect(page.get_by_test_id("tiers")).to_contain_text("Free shipping")
    expect(page.get_by_role("link", name="Find your skincare routine")).to_be_visible()
    expect(page.get_by_role("link", name="Shop at").first).to_have_attribute(
        "href", "https://shop.example.com")
    no_horizontal_scroll(page, SIZES[size]["width"])
    shot(page, f"front-page-{size}")


def sign_in(page, email="ada@example.com"):
    user = UserFactory(email=email, password=PASSWORD)
    customer = CustomerFactory(email=email, first_name="Ada", user=user)
    page.goto("/account/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    return customer


def test_the_history_names_causes_and_a_redeemed_code_is_in_view_and_focused(sized):
    page, size = sized
    a_program()
    customer = sign_in(page)
    services.paid_orders_reward(orders=[OrderFactory(
        customer=customer, name="#1001", total=Decimal("80.00"), shop_total=Decimal("80.00"),
        paid_at=dt.datetime(2026, 11, 1, 10, tzinfo=dt.UTC))])
    services.points_award(customer=customer, points=450, key="test:welcome")
    lena = CustomerFactory(email="lena@example.org", first_name="Lena")
    referral = referral_services.referral_signup(
        code=referral_services.referral_code_get_or_create(customer=customer), email=lena.email)
    activity_record(customer=customer, kind=Activity.Kind.REFERRAL_CONVERTED,
                    data={"referral": referral.pk}, key="test:referral")
    for n in range(6):  # enough vouchers that the new one would be off screen
        RewardFactory(name=f"Gift {n}", cost=10)
    RewardFactory(name="€5 off", cost=200)

    page.goto("/account/")
    causes = page.get_by_test_id("points-cause")
    expect(causes.filter(has_text="Order #1001")).to_have_count(1)
    expect(causes.filter(has_text="Lena joined with your link")).to_have_count(1)
    shot(page, f"points-history-{size}")

    page.get_by_role("link", name="Redeem €5 off").click()
    page.get_by_role("button", name="Yes, redeem it").click()

    code = Redemption.objects.get(account__customer=customer).code
    field = page.get_by_test_id("new-voucher")
    expect(field).to_have_value(code)
    expect(field).to_be_focused()
    expect(field).to_be_in_viewport()
    expect(causes.filter(has_text="Redeemed: €5 off")).to_have_count(1)
    no_horizontal_scroll(page, SIZES[size]["width"])
    page.screenshot(path=str(SHOTS / f"redeemed-code-in-view-{size}.png"))


def test_the_shopper_downloads_their_data_and_asks_for_erasure(sized):
    page, size = sized
    customer = sign_in(page, email=f"ada-{size}@example.com")
    OrderFactory(customer=customer, name="#1001")

    page.goto("/account/#your-data")
    expect(page.get_by_role("heading", name="Your data")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download my data (JSON)").click()
    data = json.loads(Path(download.value.path()).read_text())
    assert data["customer"]["email"] == f"ada-{size}@example.com"
    assert data["orders"][0]["name"] == "#1001"
    shot(page, f"your-data-{size}")

    page.get_by_role("link", name="Erase my data…").click()
    page.get_by_role("button", name="Erase my data").click()  # the box not ticked
    expect(page.get_by_text("Tick the box to confirm")).to_be_visible()
    assert Customer.objects.get(pk=customer.pk).erased_at is None
    shot(page, f"erase-confirm-{size}")
    page.get_by_label("Yes, erase my data and close my account").check()
    page.get_by_role("button", name="Erase my data").click()

    expect(page.get_by_role("heading", name="Your data was erased")).to_be_visible()
    no_horizontal_scroll(page, SIZES[size]["width"])
    shot(page, f"erased-{size}")
    assert Customer.objects.get(pk=customer.pk).erased_at is not None
