"""A friend opens a referral link on their phone and gets their code; the referrer sees the
link, the share buttons and the share card on their account page."""

import pytest
from playwright.sync_api import expect

from referrals import services
from referrals.models import Referral
from tests.e2e.test_account import assert_every_input_is_labelled, assert_no_horizontal_scroll
from tests.factories import CustomerFactory, ReferralProgramFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "plum-kettle-orbit-42"


def test_a_friend_opens_a_referral_link_and_gets_a_code(page):
    ReferralProgramFactory()
    ada = CustomerFactory(email="ada@example.com", first_name="Ada", last_name="Lovelace")
    code = services.referral_code_get_or_create(customer=ada).code

    page.goto(f"/r/{code}/")

    expect(page.get_by_role("heading", name="Ada sent you a gift")).to_be_visible()
    expect(page.get_by_text("10% off your first order")).to_be_visible()
    assert_every_input_is_labelled(page)
    assert_no_horizontal_scroll(page)
    page.get_by_label("Your email").fill("not-an-email")
    page.get_by_role("button", name="Get my code").click()
    expect(page.get_by_text("Enter a valid email address.")).to_be_visible()

    page.get_by_label("Your email").fill("grace@example.com")
    page.get_by_label("Your name (optional)").fill("Grace Hopper")
    page.get_by_label("Your name (optional)").press("Enter")

    expect(page.get_by_role("heading", name="Welcome! Here is your code")).to_be_visible()
    voucher = Referral.objects.get().voucher_code
    expect(page.get_by_test_id("voucher-code")).to_have_text(voucher)
    assert_no_horizontal_scroll(page)


def test_the_referrer_finds_their_link_share_buttons_and_card(page):
    ReferralProgramFactory()
    user = UserFactory(email="ada@example.com", password=PASSWORD)
    CustomerFactory(email="ada@example.com", first_name="Ada", user=user)

    page.goto("/account/")
    page.get_by_label("Email address").fill("ada@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")

    expect(page.get_by_role("heading", name="Refer a friend")).to_be_visible()
    link = page.get_by_label("Your share link")
    assert "/r/" in link.input_value()
    whatsapp = page.get_by_role("link", name="WhatsApp").get_attribute("href")
    assert whatsapp.startswith("https://wa.me/?text=")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy link").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Copied")).to_be_focused()
    expect(page.get_by_role("status").filter(has_text="Copied")).to_have_count(1)
    assert page.evaluate("navigator.clipboard.readText()") == link.input_value()
    expect(page.get_by_role("button", name="Copy link")).to_be_focused()
    card = page.get_by_role("img", name="Share card with your code")
    expect(card).to_be_visible()
    card.scroll_into_view_if_needed()
    page.wait_for_function("() => document.querySelector('.share-card img').naturalWidth > 0")
    assert card.evaluate("img => img.naturalWidth") == 1080
    assert_every_input_is_labelled(page)
    assert_no_horizontal_scroll(page)
