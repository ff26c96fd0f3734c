"""The demo storefront in Chromium: a shop page on one origin (localhost) embedding Flywheel's
widget from another (127.0.0.1), as a real shop embeds it, so CORS, the publishable key and the
shop's signature of its shopper all take part. Phone and desktop, mouse and keyboard, and no
console errors. Prints the script's gzipped size and the launcher's time to interactive."""

import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from loyalty import services as loyalty_services
from loyalty.models import Redemption
from quizzes.models import QuizResponse
from referrals.models import ReferralClick
from storefront.models import DiscountSync, PlatformConnection
from storefront.views import DEMO_KEY_NAME
from tests.e2e.conftest import PHONE
from tests.factories import (
    CustomerFactory,
    EarningRuleFactory,
    ProductFactory,
    PublishableKeyFactory,
    QuizVersionFactory,
    ReferralCodeFactory,
    RewardFactory,
    TierFactory,
)
from tests.storefront.platform_server import CK, CS, running, woo_coupon

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 800}
SHOTS = Path(tempfile.gettempdir()) / "flywheel-storefront-screenshots"


@pytest.fixture
def demo_shop(settings, live_server):
    """The demo shop on http://localhost:<port>, the widget from http://127.0.0.1:<port>."""
    flywheel = live_server.url.replace("localhost", "127.0.0.1")
    settings.DEMO_SHOP = True
    settings.DEMO_SHOP_FLYWHEEL_URL = flywheel
    key = PublishableKeyFactory(
        name=DEMO_KEY_NAME, allowed_origins=live_server.url,
        signup_url=f"{live_server.url}/account/signup/",
        login_url=f"{live_server.url}/demo-shop/", add_to_cart_url="/cart/add?id={sku}")
    ProductFactory(sku="GEL", name="Clarifying gel", tags=["oily-skin", "acne"],
                   price=Decimal("12.00"))
    ProductFactory(sku="BALM", name="Rich balm", tags=["dry-skin", "cold"],
                   price=Decimal("20.00"))
    QuizVersionFactory(quiz__slug="skin-routine")
    QuizVersionFactory(quiz__slug="sun-care")
    TierFactory(name="Bronze", position=1, threshold=Decimal("0"))
    TierFactory(name="Silver", position=2, threshold=Decimal("1000"))
    RewardFactory(name="€5 off", cost=500)
    EarningRuleFactory(points_per_unit=Decimal("1"))
    sam = CustomerFactory(email="shopper@flywheel.local", first_name="Sam")
    loyalty_services.points_award(customer=sam, points=700, key="welcome",
                                  kind="earn")
    return {"url": f"{live_server.url}/demo-shop/", "key": key, "shopper": sam,
            "flywheel": flywheel}


@pytest.fixture
def woo_shop():
    """The shop's WooCommerce: the local server of tests/storefront answering as WooCommerce's
    REST API docs show (https://woocommerce.github.io/woocommerce-rest-api-docs/#coupons),
    and the platform connection pointing at it."""
    with running() as woo:
        PlatformConnection.objects.update_or_create(pk=1, defaults={
            "platform": "woocommerce", "shop_url": woo.url, "consumer_key": CK,
            "consumer_secret": CS})
        yield woo


@pytest.fixture(params=["phone", "desktop"])
def shop_page(request, browser, demo_shop):
    viewport = PHONE if request.param == "phone" else DESKTOP
    context = browser.new_context(viewport=viewport, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.size_name = request.param
    yield page
    context.close()
    assert problems == []


def widget(page):
    """The launcher and panel live in the widget's (open) shadow root; Playwright's locators
    pierce it."""
    return page.locator("#flywheel-widget")


def wait_ready(page) -> float:
    page.wait_for_selector("#flywheel-widget[data-ready]", state="attached")
    return page.evaluate("window.FlywheelWidget.ready")


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"storefront-{name}-{page.size_name}.png"))


def test_a_guest_opens_the_launcher_and_sees_how_to_join(shop_page, demo_shop):
    page = shop_page
    page.goto(demo_shop["url"])
    ready_ms = wait_ready(page)
    sizes = page.evaluate("""() => performance.getEntriesByType('resource')
        .filter(e => e.name.endsWith('/embed.js'))
        .map(e => [e.encodedBodySize, e.decodedBodySize])""")
    ready_at = page.evaluate("window.FlywheelWidget.readyAt")
    print(f"\nembed.js over the wire ({page.size_name}): {sizes[0][0]} bytes gzipped, "
          f"{sizes[0][1]} bytes unzipped; launcher interactive {ready_ms:.0f} ms after the "
          f"script ran, {ready_at:.0f} ms after navigation start")
    assert 0 < sizes[0][0] <= 30 * 1024

    launcher = widget(page).get_by_role("button", name="Rewards")
    launcher.click()

    panel = widget(page).get_by_role("dialog")
    expect(panel.get_by_role("heading", name="Join our rewards programme")).to_be_visible()
    expect(panel.get_by_role("link", name="Join now")).to_have_attribute(
        "href", f"{demo_shop['url'].replace('/demo-shop/', '/account/signup/')}")
    expect(panel.get_by_role("link", name="Log in")).to_be_visible()
    expect(panel.get_by_text("€5 off")).to_be_visible()
    expect(panel.get_by_role("region", name="Ways to earn")).to_contain_text(
        "Shop with us1 point per €1 spent")
    expect(panel.get_by_role("button", name="Redeem")).to_have_count(0)
    shot(page, "guest")
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(launcher).to_be_focused()


def test_the_signed_shopper_sees_the_real_balance_redeems_by_keyboard_and_sees_the_code(
        shop_page, demo_shop, woo_shop):
    woo_shop.answer(201, lambda seen: woo_coupon(
        seen.body["code"], email=seen.body["email_restrictions"][0]))
    page = shop_page
    page.goto(demo_shop["url"])
    page.get_by_role("button", name="Log in as the demo shopper").click()
    wait_ready(page)

    launcher = widget(page).get_by_role("button", name="Rewards: 700 Points available")
    launcher.focus()
    page.keyboard.press("Enter")
    panel = widget(page).get_by_role("dialog")
    expect(panel.get_by_role("heading", name="Hello Sam")).to_be_focused()
    expect(panel.locator(".balance")).to_have_text("700")
    expect(panel.get_by_text("Bronze")).to_be_visible()

    redeem = panel.get_by_role("button", name="Redeem €5 off")
    redeem.focus()
    page.keyboard.press("Enter")
    expect(panel.get_by_role("button", name="Yes, redeem")).to_be_focused()
    page.keyboard.press("Enter")

    code_field = panel.locator(".notice .code-value")
    expect(code_field).to_be_focused()
    code = Redemption.objects.get(account__customer=demo_shop["shopper"]).code
    expect(code_field).to_have_value(code)
    expect(panel.locator(".balance")).to_have_text("200")
    # The code was created in the shop's WooCommerce, so the widget adds nothing about it.
    [created] = [r for r in woo_shop.requests if r.method == "POST"]
    assert (created.path, created.body["code"]) == ("/wp-json/wc/v3/coupons", code)
    assert created.body["email_restrictions"] == ["shopper@flywheel.local"]
    sync = DiscountSync.objects.get(redemption__code=code)
    assert (sync.status, sync.platform) == ("synced", "woocommerce")
    expect(panel.locator(".sync")).to_have_count(0)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    panel.locator(".notice").get_by_role("button", name="Copy").click()
    assert page.evaluate("navigator.clipboard.readText()") == code
    expect(panel.get_by_role("region", name="History")).to_contain_text(code)
    expect(panel.get_by_role("img", name="QR code of your referral link")).to_be_visible()
    shot(page, "shopper-redeemed")
    no_horizontal_scroll(page)


def test_a_code_the_shop_refused_tells_the_shopper_it_is_being_set_up(shop_page, demo_shop,
                                                                        woo_shop):
    """WooCommerce refuses the keys (its REST API docs' 401); staff will push it again."""
    woo_shop.answer(401, {"code": "woocommerce_rest_cannot_create",
                          "message": "Sorry, you are not allowed to create resources.",
                          "data": {"status": 401}})
    page = shop_page
    page.goto(demo_shop["url"])
    page.get_by_role("button", name="Log in as the demo shopper").click()
    wait_ready(page)
    widget(page).get_by_role("button", name="Rewards: 700 Points available").click()
    panel = widget(page).get_by_role("dialog")
    panel.get_by_role("button", name="Redeem €5 off").click()
    panel.get_by_role("button", name="Yes, redeem").click()

    setting_up = "This code is being set up; try again at checkout in a few minutes."
    expect(panel.locator(".notice")).to_contain_text(setting_up)
    code = Redemption.objects.get(account__customer=demo_shop["shopper"]).code
    expect(panel.locator(".notice .code-value")).to_have_value(code)
    expect(panel.get_by_role("region", name="Your vouchers")).to_contain_text(setting_up)
    assert DiscountSync.objects.get(redemption__code=code).status == "failed"
    shot(page, "shopper-code-setting-up")
    no_horizontal_scroll(page)


def test_the_embedded_quiz_completes_by_keyboard_and_its_picks_link_to_product_pages(
        shop_page, demo_shop):
    page = shop_page
    page.goto(demo_shop["url"])
    wait_ready(page)
    quiz = page.locator("[data-flywheel-quiz='skin-routine']")

    quiz.get_by_role("button", name="Start").click()
    expect(quiz.get_by_role("group", name="What's your skin type?")).to_be_visible()
    quiz.get_by_role("radio", name="Dry").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Enter")  # submits the question's form
    quiz.get_by_role("checkbox", name="Cold climate").check()
    quiz.get_by_role("button", name="Next").click()
    quiz.get_by_role("button", name="Next").click()  # the optional email question

    view = quiz.get_by_role("link", name="View product Rich balm")
    expect(view).to_have_attribute("href", "https://shop.example.com/products/balm")
    expect(quiz.get_by_role("link", name="Add to cart Rich balm")).to_have_attribute(
        "href", "/cart/add?id=BALM")
    expect(quiz).not_to_contain_text("null")
    assert QuizResponse.objects.get().status == "completed"
    shot(page, "quiz-results")
    no_horizontal_scroll(page)


@pytest.mark.parametrize("ticked", [True, False], ids=["consent ticked", "left unticked"])
def test_the_embedded_quizs_email_question_asks_for_consent_in_its_own_box(
        shop_page, demo_shop, ticked):
    """As on the quiz page: an email is not consent to marketing; the box is, and it starts
    unticked. With it the shopper gets a profile that accepts marketing; without it the
    response keeps the email and stays anonymous."""
    page = shop_page
    page.goto(demo_shop["url"])
    wait_ready(page)
    quiz = page.locator("[data-flywheel-quiz='skin-routine']")
    quiz.get_by_role("button", name="Start").click()
    quiz.get_by_role("radio", name="Dry").check()
    quiz.get_by_role("button", name="Next").click()
    quiz.get_by_role("checkbox", name="Cold climate").check()
    quiz.get_by_role("button", name="Next").click()

    quiz.get_by_role("textbox").fill("lena@example.com")
    consent = quiz.get_by_role("checkbox", name="Yes, send me offers and news by email.")
    expect(consent).not_to_be_checked()
    if ticked:
        consent.check()
    shot(page, f"quiz-consent-{'ticked' if ticked else 'unticked'}")
    quiz.get_by_role("button", name="Next").click()

    expect(quiz.get_by_role("link", name="View product Rich balm")).to_be_visible()
    response = QuizResponse.objects.select_related("customer").get()
    assert (response.email, response.consent_given) == ("lena@example.com", ticked)
    if ticked:
        assert response.customer.email == "lena@example.com"
        assert response.customer.accepts_marketing is True
    else:
        assert response.customer is None


def test_the_modal_quiz_opens_and_closes_by_keyboard(shop_page, demo_shop):
    page = shop_page
    page.goto(demo_shop["url"])
    wait_ready(page)
    quiz = page.locator("[data-flywheel-quiz='sun-care']")
    opener = quiz.get_by_role("button", name="Take the quiz")

    opener.focus()
    page.keyboard.press("Enter")
    expect(quiz.get_by_role("dialog").get_by_role("button", name="Start")).to_be_visible()
    page.keyboard.press("Escape")
    expect(quiz.get_by_role("dialog")).to_be_hidden()
    expect(opener).to_be_focused()


def test_a_referral_link_on_a_shop_page_records_the_click(shop_page, demo_shop):
    code = ReferralCodeFactory(code="DEMOFRIEND", customer=demo_shop["shopper"])
    page = shop_page
    page.goto(demo_shop["url"] + "?ref=DEMOFRIEND")
    wait_ready(page)

    assert ReferralClick.objects.get(code=code).count == 1
    widget(page).get_by_role("button", name="Rewards").click()
    expect(widget(page).get_by_text("Welcome! A friend invited you.")).to_be_visible()
    page.reload()
    wait_ready(page)
    assert ReferralClick.objects.get(code=code).count == 1  # a reload is not a new click


def test_the_admin_theme_applies_and_the_shops_own_css_can_override_it(shop_page, demo_shop):
    key = demo_shop["key"]
    key.accent_colour = "#aa3300"
    key.save()
    page = shop_page
    page.goto(demo_shop["url"])
    wait_ready(page)
    launcher = widget(page).get_by_role("button", name="Rewards")
    admin_colour = launcher.evaluate("e => getComputedStyle(e).backgroundColor")

    page.add_style_tag(content="#flywheel-widget { --fw-accent: #006400; }")
    shop_colour = launcher.evaluate("e => getComputedStyle(e).backgroundColor")

    assert (admin_colour, shop_colour) == ("rgb(170, 51, 0)", "rgb(0, 100, 0)")


def test_on_a_right_to_left_page_the_launcher_sits_at_the_start_of_the_line(shop_page,
                                                                            demo_shop):
    page = shop_page
    page.goto(demo_shop["url"])
    wait_ready(page)
    launcher = widget(page).get_by_role("button", name="Rewards")
    ltr = launcher.bounding_box()

    page.evaluate("document.documentElement.dir = 'rtl'")
    rtl = launcher.bounding_box()

    width = page.viewport_size["width"]
    assert ltr["x"] > width / 2 > rtl["x"]  # "end" of the line: right in LTR, left in RTL


def no_horizontal_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_a_persian_shopper_reads_points_in_persian_digits_and_dates_in_their_calendar(
        browser, demo_shop):
    """The widget writes numbers as the words' language does (Intl, from the language the
    server answered in) and shows the dates the server wrote: Solar Hijri in Persian."""
    context = browser.new_context(viewport=PHONE, locale="fa-IR")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.size_name = "phone"
    page.goto(demo_shop["url"])
    page.locator("button[name=action][value=login]").click()
    wait_ready(page)

    expect(widget(page).locator(".badge")).to_have_text("۷۰۰")
    widget(page).locator("button[aria-expanded]").click()
    panel = widget(page).get_by_role("dialog")
    expect(panel.locator(".balance")).to_have_text("۷۰۰")
    entry = panel.locator(".history li").first
    expect(entry.locator(".plus")).to_contain_text("+۷۰۰")  # after a left-to-right mark
    expect(entry.locator("span").first).to_contain_text("۱۴۰۵")  # the year in Persian digits
    shot(page, "persian-digits")
    context.close()
