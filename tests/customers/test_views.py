"""The shopper pages, as a shopper uses them in a browser without JavaScript."""

import re

import pytest
from django.core import mail
from django.test import TestCase
from django.urls import reverse

from customers.models import Activity, Customer, User
from tests.factories import ActivityFactory, AttributeFactory, CustomerFactory, UserFactory

CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')

pytestmark = pytest.mark.django_db

PASSWORD = "plum-kettle-orbit-42"


def signup_data(**overrides) -> dict:
    data = {
        "email": "ada@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    return data


LINK = re.compile(r"https?://[^/\s]+(/account/signup/confirm/[^/\s]+/)")


def sign_up(client, **overrides):
    """Fill in the sign-up form and open the link the email brings; the last answer."""
    mail.outbox.clear()
    post_signup(client, **overrides)
    [link] = LINK.findall(mail.outbox[-1].body)
    return client.get(link)


def post_signup(client, **overrides):
    """The sign-up form sent, and its email with it (it leaves after commit)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(reverse("signup"), signup_data(**overrides))


def shopper(client, email="ada@example.com", **customer_fields):
    """A logged-in shopper whose account is linked to their customer profile."""
    user = UserFactory(email=email)
    customer = CustomerFactory(email=email, user=user, **customer_fields)
    client.force_login(user)
    return customer


def test_signup_links_the_account_to_the_existing_customer_whatever_the_capitals(client):
    customer = CustomerFactory(email="ada@example.com")

    response = sign_up(client, email="Ada@Example.COM")

    assert response.status_code == 302
    assert response.url == reverse("account")
    user = User.objects.get()
    assert user.email == "ada@example.com"
    assert user.check_password(PASSWORD)
    customer.refresh_from_db()
    assert customer.user == user
    assert Customer.objects.count() == 1
    assert customer.activities.filter(kind=Activity.Kind.ACCOUNT_CREATED).exists()
    assert client.get(reverse("account")).status_code == 200


def test_signup_creates_a_customer_for_a_new_email(client):
    sign_up(client, email="grace@example.com", first_name="Grace")

    customer = Customer.objects.get(email="grace@example.com")
    assert customer.user == User.objects.get(email="grace@example.com")
    assert customer.first_name == "Grace"


def test_the_marketing_box_starts_unticked_and_unticked_records_no_consent(client):
    page = client.get(reverse("signup")).content.decode()

    box = re.search(r'<input[^>]*name="accepts_marketing"[^>]*>', page).group(0)
    assert 'type="checkbox"' in box
    assert "checked" not in box

    sign_up(client)
    customer = Customer.objects.get()
    assert customer.accepts_marketing is False
    assert customer.marketing_consent_at is None


def test_a_ticked_marketing_box_is_recorded_with_source_account(client):
    sign_up(client, accepts_marketing="on")

    customer = Customer.objects.get()
    assert customer.accepts_marketing is True
    assert customer.marketing_consent_source == "account"
    assert customer.marketing_consent_at is not None
    assert customer.activities.filter(kind=Activity.Kind.CONSENT_CHANGED).count() == 1


def test_signing_up_with_a_taken_email_looks_the_same_and_the_inbox_says_why(client):
    UserFactory(email="ada@example.com", password=PASSWORD)

    taken = post_signup(client, email="ADA@example.com", password1="new-Pass-9x",
                        password2="new-Pass-9x")
    new = post_signup(client, email="grace@example.com")

    assert taken.status_code == new.status_code == 200
    # Every render masks the CSRF token anew (the language switcher's form carries one).
    def seen(page, email):
        return CSRF_TOKEN.sub("", page.text.replace(email, "X"))
    assert seen(taken, "ada@example.com") == seen(new, "grace@example.com")
    assert "Check your inbox" in taken.text and "already" not in taken.text.lower()
    existing, confirm = mail.outbox
    assert existing.to == ["ada@example.com"] and "already has an account" in existing.body
    assert not LINK.findall(existing.body)
    assert User.objects.get(email="ada@example.com").check_password(PASSWORD)  # unchanged
    assert LINK.findall(confirm.body) and confirm.to == ["grace@example.com"]


def test_no_account_opens_until_the_link_is_followed(client):
    post_signup(client)

    assert not User.objects.get().is_active
    assert not Customer.objects.exists()
    assert client.post(reverse("login"), {"username": "ada@example.com",
                                          "password": PASSWORD}).status_code == 200


def test_only_the_latest_link_works_and_only_once(client):
    post_signup(client)
    post_signup(client, password1="second-Pass-77", password2="second-Pass-77")
    first, second = (LINK.findall(m.body)[0] for m in mail.outbox)

    assert client.get(first).status_code == 400
    assert client.get(second).status_code == 302
    client.logout()
    assert client.get(second).status_code == 400
    assert User.objects.get().check_password("second-Pass-77")


def test_mismatched_passwords_are_refused(client):
    response = client.post(reverse("signup"), signup_data(password2="something-else-99"))

    assert response.status_code == 200
    assert "password2" in response.context["form"].errors
    assert not User.objects.exists()


def test_login_accepts_the_email_in_any_capitals(client):
    UserFactory(email="ada@example.com", password=PASSWORD)

    response = client.post(reverse("login"), {"username": "Ada@Example.com",
                                              "password": PASSWORD})

    assert response.status_code == 302
    assert response.url == reverse("account")


def test_logout_takes_a_post_and_ends_the_session(client):
    shopper(client)

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert client.get(reverse("account")).status_code == 302


def test_the_account_page_sends_anonymous_visitors_to_login(client):
    response = client.get(reverse("account"))

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={reverse('account')}"


def test_the_account_page_shows_the_shoppers_own_profile_and_timeline_only(client):
    customer = shopper(client, first_name="Ada", last_name="Lovelace")
    ActivityFactory(customer=customer, kind=Activity.Kind.ORDER_PAID, reference="#1001")
    AttributeFactory(customer=customer, key="skin_type", value="oily")
    other = CustomerFactory(email="grace@example.com", first_name="Grace")
    ActivityFactory(customer=other, kind=Activity.Kind.ORDER_REFUNDED)
    AttributeFactory(customer=other, key="hair_colour", value="auburn")

    response = client.get(reverse("account"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Ada Lovelace" in page
    assert "ada@example.com" in page
    assert "Order paid" in page
    assert "oily" in page
    assert "grace@example.com" not in page
    assert "Order refunded" not in page
    assert "auburn" not in page


def test_the_timeline_is_newest_first_and_paginated(client):
    customer = shopper(client)
    for day in range(1, 26):
        ActivityFactory(customer=customer, kind=f"day_{day:02d}",
                        occurred_at=f"2026-10-{day:02d}T12:00:00Z")

    first = client.get(reverse("account")).content.decode()
    second = client.get(reverse("account"), {"page": 2}).content.decode()

    assert first.index("Day 25") < first.index("Day 24")
    assert "Day 06" in first and "Day 05" not in first
    assert "Day 05" in second and "Day 01" in second and "Day 25" not in second


def test_the_shopper_changes_marketing_consent_from_the_account_page(client):
    customer = shopper(client)

    response = client.post(reverse("account_consent"), {"accepts_marketing": "on"})

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.accepts_marketing is True
    assert customer.marketing_consent_source == "account"

    client.post(reverse("account_consent"), {})
    customer.refresh_from_db()
    assert customer.accepts_marketing is False


def test_password_reset_emails_a_link_that_sets_a_new_password(client):
    UserFactory(email="ada@example.com", password=PASSWORD)

    response = client.post(reverse("password_reset"), {"email": "Ada@Example.com"})

    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ada@example.com"]
    link = re.search(r"https?://[^/\s]+(/account/reset/\S+)", mail.outbox[0].body).group(1)

    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    assert form_page.context["validlink"] is True
    new_password = "quiet-river-lantern-7"
    done = client.post(form_page.redirect_chain[-1][0],
                       {"new_password1": new_password, "new_password2": new_password})

    assert done.status_code == 302
    assert done.url == reverse("password_reset_complete")
    assert User.objects.get().check_password(new_password)


def test_password_reset_for_an_unknown_email_sends_nothing_but_looks_the_same(client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})

    assert response.status_code == 302
    assert mail.outbox == []


def test_pages_turn_right_to_left_for_persian(client):
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="fa-IR,fa;q=0.9").content.decode()

    assert '<html lang="fa" dir="rtl">' in page
    assert "باشگاه مشتریان" in page  # "Rewards club", really written in Persian


def test_pages_load_their_styles_from_the_shop_not_a_cdn(client):
    page = client.get(reverse("signup")).content.decode()

    assert re.findall(r'(?:href|src)="(https?://[^"]+)"', page) == []
    assert 'href="/static/css/flywheel.css"' in page
