"""Self-service privacy on the account page, and the one contact budget with its unsubscribe
link: a shopper downloads their data and asks for erasure; marketing e-mails stop at the cap
and after the unsubscribe link, vouchers always go."""

import json
import re
from unittest import mock

import pytest
from django.core import mail
from django.core.mail.backends import locmem

from customers.models import ContactSettings, Customer, MarketingContact
from customers.services import (
    MarketingEmail,
    contact,
    customer_link_user,
    marketing_email_send,
    marketing_emails_send,
    unsubscribe_url,
)
from loyalty import services as loyalty_services
from loyalty.services.emails import winback_email_send
from loyalty.services.notifications import points_expiring_email_send
from tests.factories import (
    ActivityFactory,
    CustomerFactory,
    LoyaltyAccountFactory,
    OrderFactory,
    RewardFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def shopper(client):
    user = UserFactory(email="ada@example.com", first_name="Ada")
    customer = customer_link_user(user=user)
    client.force_login(user)
    return client, customer


def test_the_account_page_offers_the_download_and_erasure(shopper):
    client, customer = shopper
    OrderFactory(customer=customer, external_id="A-1")

    page = client.get("/account/").content.decode()
    download = client.get("/account/data/")

    assert 'href="/account/data/"' in page and 'href="/account/erase/"' in page
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith('attachment; filename="my-data-')
    data = json.loads(download.content)
    assert data["customer"]["email"] == "ada@example.com"
    assert data["orders"][0]["external_id"] == "A-1"


def test_erasure_needs_the_box_ticked_then_erases_and_signs_out(shopper):
    client, customer = shopper

    unconfirmed = client.post("/account/erase/", {})
    assert unconfirmed.status_code == 400
    assert Customer.objects.get(pk=customer.pk).erased_at is None

    done = client.post("/account/erase/", {"confirm": "yes"})

    assert done.status_code == 200
    assert "Your data was erased" in done.content.decode()
    customer.refresh_from_db()
    assert customer.erased_at is not None and customer.email.endswith("@invalid")
    assert client.get("/account/").status_code == 302  # signed out


def at_the_cap(customer, cap=2):
    budget = ContactSettings.get()
    budget.marketing_cap, budget.marketing_cap_days = cap, 30
    budget.save()
    for n in range(cap):
        MarketingContact.objects.create(customer=customer, kind="points", key=f"earlier:{n}")


def test_a_customer_at_the_cap_gets_no_marketing_email_of_any_kind_but_still_their_voucher(
        django_capture_on_commit_callbacks):
    customer = CustomerFactory(email="bo@example.com", accepts_marketing=True)
    at_the_cap(customer)
    LoyaltyAccountFactory(customer=customer, balance=500)
    mail.outbox.clear()

    winback = loyalty_services.voucher_grant(customer=customer, reward=RewardFactory(),
                                             key="test:winback", notify=False)
    sent = [
        winback_email_send(redemption_id=winback.pk),
        points_expiring_email_send(customer_id=customer.pk, activity_ids=[ActivityFactory(
            customer=customer,
            data={"points": 50, "expires_at": "2027-01-01T00:00:00+00:00"}).pk]),
        marketing_email_send(customer=customer, kind="tier", key="tier:1", to=customer.email,
                             template="loyalty/emails/tier_up", context={"customer": customer}),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        loyalty_services.redemption_create(customer=customer, reward=RewardFactory(cost=100))

    assert sent == [False, False, False]
    assert MarketingContact.objects.filter(customer=customer).count() == 2
    assert [m.to for m in mail.outbox] == [["bo@example.com"]]  # the voucher, nothing else
    assert "List-Unsubscribe" not in mail.outbox[0].extra_headers


def test_a_marketing_email_carries_a_working_unsubscribe_link_and_headers(client):
    customer = CustomerFactory(email="cy@example.com", accepts_marketing=True)

    assert marketing_email_send(customer=customer, kind="tier", key="tier:9", to=customer.email,
                                template="loyalty/emails/tier_up",
                                context={"customer": customer})

    message = mail.outbox[-1]
    # The link is signed with a timestamp, so it is read off the message, not signed again here
    # (a second boundary between the two would tell them apart).
    url = re.fullmatch(r"<(.+)>", message.extra_headers["List-Unsubscribe"]).group(1)
    assert url.startswith(unsubscribe_url(customer=customer).split("/unsubscribe/")[0])
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url in message.body and url in message.alternatives[0][0]
    path = re.sub(r"^https?://[^/]+", "", url)
    assert client.get(path).status_code == 200  # a page with one button
    assert client.post(path).status_code == 200  # one click, no CSRF token (RFC 8058)
    customer.refresh_from_db()
    assert customer.accepts_marketing is False
    assert not marketing_email_send(customer=customer, kind="tier", key="tier:10",
                                    to=customer.email, template="loyalty/emails/tier_up",
                                    context={"customer": customer})
    assert client.post("/unsubscribe/forged/").status_code == 400


def news(customer, key):
    return MarketingEmail(customer=customer, kind="points", key=key, to=customer.email,
                          template="loyalty/emails/tier_up", context={"customer": customer})


class CountingBackend(locmem.EmailBackend):
    """locmem, counting the connections opened to the mail server."""

    opened = 0

    def open(self):
        CountingBackend.opened += 1
        return super().open()


def test_a_batch_of_news_keeps_to_each_customers_budget_and_each_cause_once(settings):
    settings.EMAIL_BACKEND = f"{__name__}.CountingBackend"
    CountingBackend.opened = 0
    ada = CustomerFactory(email="ada@example.com", accepts_marketing=True)
    bo = CustomerFactory(email="bo@example.com", accepts_marketing=True)
    at_the_cap(bo, cap=3)  # three places, all taken
    MarketingContact.objects.filter(customer=bo).first().delete()  # one left
    MarketingContact.objects.create(customer=ada, kind="points", key="points:sent-before")
    mail.outbox.clear()

    sent = marketing_emails_send(emails=[
        news(ada, "points:1"), news(bo, "points:2"), news(ada, "points:1"),
        news(bo, "points:3"), news(ada, "points:sent-before"), news(ada, "points:4")])

    # ada: two places left (3 - 1), points:1 once, the earlier cause not again; bo: one.
    assert sent == 3
    assert [m.to[0] for m in mail.outbox] == ["ada@example.com", "bo@example.com",
                                              "ada@example.com"]
    assert set(MarketingContact.objects.filter(key__startswith="points:").values_list(
        "key", flat=True)) == {"points:sent-before", "points:1", "points:2", "points:4"}
    assert CountingBackend.opened == 1  # one session with the mail server for the batch


def test_when_a_send_fails_the_ones_before_stay_sent_and_a_retry_sends_the_rest():
    customers = [CustomerFactory(email=f"c{n}@example.com", accepts_marketing=True)
                 for n in range(3)]
    batch = [news(customer, f"points:{n}") for n, customer in enumerate(customers)]
    mail.outbox.clear()
    real_send = contact.email_send

    def failing_on_the_second(**kwargs):
        if kwargs["to"] == "c1@example.com":
            raise ConnectionError("mail server went away")
        real_send(**kwargs)

    with mock.patch.object(contact, "email_send", failing_on_the_second), \
            pytest.raises(ConnectionError):
        marketing_emails_send(emails=batch)

    assert [m.to[0] for m in mail.outbox] == ["c0@example.com"]
    assert list(MarketingContact.objects.values_list("key", flat=True)) == ["points:0"]
    assert marketing_emails_send(emails=batch) == 2  # the retry: the two that did not go
    assert sorted(m.to[0] for m in mail.outbox) == [
        "c0@example.com", "c1@example.com", "c2@example.com"]


def test_a_batch_with_nothing_to_send_opens_no_connection_to_the_mail_server(settings):
    settings.EMAIL_BACKEND = f"{__name__}.CountingBackend"
    CountingBackend.opened = 0
    customer = CustomerFactory(email="dee@example.com", accepts_marketing=True)
    at_the_cap(customer)

    assert marketing_emails_send(emails=[news(customer, "points:5")]) == 0
    assert CountingBackend.opened == 0


class RefusingBackend(locmem.EmailBackend):
    """A mail server that refuses the connection."""

    def open(self):
        raise ConnectionRefusedError("mail server down")


def test_when_the_mail_server_refuses_the_connection_no_place_is_taken(settings):
    customers = [CustomerFactory(email=f"r{n}@example.com", accepts_marketing=True)
                 for n in range(2)]
    batch = [news(customer, f"points:r{n}") for n, customer in enumerate(customers)]
    mail.outbox.clear()
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"

    with pytest.raises(ConnectionRefusedError):
        marketing_emails_send(emails=batch)

    assert not MarketingContact.objects.filter(key__startswith="points:r").exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert marketing_emails_send(emails=batch) == 2  # the retry sends both
    assert sorted(m.to[0] for m in mail.outbox) == ["r0@example.com", "r1@example.com"]
