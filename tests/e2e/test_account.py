"""A shopper joins, finds their account, logs out and back in, on a phone."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from customers.models import Activity
from tests.factories import ActivityFactory, AttributeFactory, CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "plum-kettle-orbit-42"
PHONE_WIDTH = 390


def open_signup_link(page):
    """The sign-up form answers "check your inbox"; follow the link the email brought."""
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    [path] = re.findall(r"https?://[^/\s]+(/account/signup/confirm/\S+/)", mail.outbox[-1].body)
    page.goto(path)


def assert_no_horizontal_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{page.url} is {width}px wide"


def assert_every_input_is_labelled(page):
    inputs = page.locator("main input:not([type=hidden])")
    assert inputs.count() > 0
    for index in range(inputs.count()):
        field = inputs.nth(index)
        label = field.evaluate("el => el.labels.length ? el.labels[0].innerText.trim() : ''")
        assert label, f"an input on {page.url} has no label"
        found = page.get_by_label(label, exact=True)
        assert found.evaluate("el => el.id") == field.evaluate("el => el.id")


def test_a_shopper_signs_up_logs_out_and_logs_back_in(page):
    customer = CustomerFactory(
        email="ada@example.com", first_name="", last_name="", orders_count=3,
        total_spent=Decimal("142.50"), last_order_at=timezone.now() - dt.timedelta(days=4),
    )
    AttributeFactory(customer=customer, key="skin_type", value="oily")
    ActivityFactory(customer=customer, kind=Activity.Kind.ORDER_PAID,
                    occurred_at=timezone.now() - dt.timedelta(days=4))

    page.goto("/")
    assert_no_horizontal_scroll(page)
    page.get_by_role("link", name="Join the club").click()

    expect(page.get_by_role("heading", name="Join the club")).to_be_visible()
    assert_every_input_is_labelled(page)
    assert_no_horizontal_scroll(page)
    expect(page.get_by_label("Email me offers and news from the shop")).not_to_be_checked()
    page.get_by_label("Email address").fill("Ada@Example.com")
    page.get_by_label("First name (optional)").fill("Ada")
    page.get_by_label("Last name (optional)").fill("Lovelace")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Email me offers and news from the shop")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Create my account")).to_be_focused()
    page.keyboard.press("Enter")
    open_signup_link(page)

    expect(page.get_by_role("heading", name="Hello, Ada")).to_be_visible()
    expect(page.get_by_text("Ada Lovelace")).to_be_visible()
    expect(page.get_by_text("oily")).to_be_visible()
    expect(page.get_by_text("Account created")).to_be_visible()
    assert_every_input_is_labelled(page)
    assert_no_horizontal_scroll(page)

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    assert_every_input_is_labelled(page)
    page.get_by_label("Email address").fill("ada@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")

    expect(page.get_by_role("heading", name="Hello, Ada")).to_be_visible()
    assert page.url.endswith("/account/")


def test_a_wrong_password_is_explained_and_the_account_stays_closed(page):
    page.goto("/account/")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()

    page.get_by_label("Email address").fill("nobody@example.com")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("alert")).to_contain_text("correct email address and password")
    assert_no_horizontal_scroll(page)
