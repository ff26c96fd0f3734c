"""The copy buttons (static/js/copy.js) when copying can't happen: without JavaScript the code is
plain selectable text, and when the browser refuses the clipboard the text is selected for the
shopper to copy by hand, and they are told so."""

import pytest
from playwright.sync_api import expect

from referrals import services
from tests.e2e.test_account import assert_no_horizontal_scroll
from tests.factories import CustomerFactory, ReferralProgramFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "plum-kettle-orbit-42"

REFUSE_CLIPBOARD = """
navigator.clipboard.writeText = () => Promise.reject(new DOMException("No", "NotAllowedError"));
"""


@pytest.fixture
def referrer():
    ReferralProgramFactory()
    user = UserFactory(email="ada@example.com", password=PASSWORD)
    customer = CustomerFactory(email="ada@example.com", first_name="Ada", user=user)
    return services.referral_code_get_or_create(customer=customer).code


def log_in(page):
    page.goto("/account/")
    page.get_by_label("Email address").fill("ada@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    expect(page.get_by_role("heading", name="Refer a friend")).to_be_visible()


def test_a_refused_clipboard_selects_the_code_and_says_to_copy_it_by_hand(page, referrer):
    page.add_init_script(REFUSE_CLIPBOARD)
    log_in(page)

    page.get_by_role("button", name="Copy code").click()

    field = page.get_by_label("Your referral code")
    expect(field).to_be_focused()
    selected = field.evaluate("f => f.value.slice(f.selectionStart, f.selectionEnd)")
    assert selected == referrer
    expect(page.get_by_role("button", name="Selected: copy it by hand")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Selected: copy it by hand")).to_have_count(1)
    assert_no_horizontal_scroll(page)
    expect(page.get_by_role("button", name="Copy code")).to_be_visible()


def test_without_javascript_the_code_is_selectable_and_no_dead_button_shows(browser, live_server,
                                                                             referrer):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    log_in(page)

    expect(page.get_by_label("Your referral code")).to_have_value(referrer)
    expect(page.get_by_role("button", name="Copy code")).to_be_hidden()
    expect(page.get_by_role("button", name="Copy link")).to_be_hidden()
    context.close()
