"""Staff's admin: the home page's dashboard reads the program's numbers, each linking to its
page, under a header with the shop's name; the customer page gathers one customer's
identity, consent, points, vouchers, answers, referrals, surveys, stage and orders, and its
actions (adjust points, set a tier, resend a voucher, erase) go through the services."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from customers.models import Branding, Customer, CustomerScore, WebhookDelivery
from loyalty import services as loyalty_services
from loyalty.models import LoyaltyAccount, PointsEntry
from loyalty.selectors import balance_get
from tests.factories import (
    AttributeFactory,
    CustomerFactory,
    LoyaltyAccountFactory,
    NpsResponseFactory,
    OrderFactory,
    RewardFactory,
    TierFactory,
    WebhookDeliveryFactory,
)

pytestmark = pytest.mark.django_db


def numbers(page: str) -> dict[str, str]:
    """The dashboard's numbers as staff read them: label -> value."""
    found = re.findall(r'data-testid="dashboard-(?:number|stage)">\s*<span[^>]*>([^<]+)</span>'
                       r'\s*<strong[^>]*>([^<]+)</strong>', page)
    return {label.strip(): value.strip() for label, value in found}


def test_the_dashboard_shows_the_programs_numbers_under_the_shops_name(admin_client):
    branding = Branding.get()
    branding.shop_name = "Glow & Co"
    branding.save()
    ada = CustomerFactory(email="ada@example.com")
    bo = CustomerFactory(email="bo@example.com")
    LoyaltyAccountFactory(customer=ada)
    LoyaltyAccountFactory(customer=bo)
    loyalty_services.points_award(customer=ada, points=300, key="test:ada")
    loyalty_services.redemption_create(customer=ada, reward=RewardFactory(cost=100))
    CustomerScore.objects.create(customer=ada, stage="loyal", stage_since=timezone.now(),
                                 as_of=timezone.now())
    CustomerScore.objects.create(customer=bo, stage="at_risk", stage_since=timezone.now(),
                                 as_of=timezone.now())
    WebhookDeliveryFactory(status=WebhookDelivery.Status.FAILED)
    NpsResponseFactory(score=10)

    page = admin_client.get(reverse("admin:index")).content.decode()

    shown = numbers(page)
    assert "Glow &amp; Co · Flywheel" in page
    assert shown["Members"] == "2"
    assert shown["Points issued this month"] == "300"
    assert shown["Points redeemed this month"] == "100"
    assert shown["Points liability"] == "€2"  # 200 points at €0.01
    assert shown["NPS"] == "100"
    assert shown["Failed deliveries waiting"] == "1"
    assert shown["Stage: Loyal"] == "1" and shown["Stage: At risk"] == "1"
    assert "?status__exact=failed" in page and "?score__stage__exact=at_risk" in page


def test_the_dashboards_links_all_open(admin_client):
    page = admin_client.get(reverse("admin:index")).content.decode()
    links = re.findall(r'data-testid="dashboard-(?:number|stage)"', page)
    hrefs = re.findall(r'<a href="([^"]+)" data-testid="dashboard-', page)
    assert len(hrefs) == len(links) > 8
    for href in hrefs:
        assert admin_client.get(href.replace("&amp;", "&")).status_code == 200, href


@pytest.fixture
def customer():
    customer = CustomerFactory(email="ada@example.com", first_name="Ada", last_name="Lovelace",
                               accepts_marketing=True)
    OrderFactory(customer=customer, name="#1001", total=Decimal("59.90"), currency="EUR",
                 placed_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
    AttributeFactory(customer=customer, key="climate", value="humid")
    loyalty_services.points_award(customer=customer, points=250, key="test:ada")
    return customer


def test_the_customer_page_gathers_everything_formatted_for_people(admin_client, customer):
    voucher = loyalty_services.redemption_create(customer=customer,
                                                 reward=RewardFactory(name="€5 off", cost=100))

    page = admin_client.get(reverse("admin:customer_profile", args=[customer.pk]))

    text = page.content.decode()
    assert page.status_code == 200
    assert "Ada Lovelace" in text and "ada@example.com" in text
    assert 'data-testid="profile-balance">150<' in text
    assert voucher.code in text and "€5 off" in text
    assert "Redeemed: €5 off" in text
    assert "#1001" in text and "€59.90" in text
    assert "humid" in text


def test_the_customer_pages_actions_go_through_the_services(
        admin_client, customer, django_capture_on_commit_callbacks):
    url = reverse("admin:customer_profile", args=[customer.pk])
    gold = TierFactory(name="Gold", position=2, threshold=Decimal("500"))
    voucher = loyalty_services.redemption_create(customer=customer,
                                                 reward=RewardFactory(cost=100))

    no_reason = admin_client.post(url, {"action": "adjust", "amount": "50", "reason": ""})
    admin_client.post(url, {"action": "adjust", "amount": "50", "reason": "Late parcel"})
    admin_client.post(url, {"action": "tier", "tier": gold.pk, "until": "2027-12-31",
                            "reason": "VIP event"})
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, {"action": "resend", "voucher": voucher.pk})
    unconfirmed = admin_client.post(url, {"action": "erase"})
    assert Customer.objects.get(pk=customer.pk).erased_at is None
    admin_client.post(url, {"action": "erase", "confirm": "on"})

    assert no_reason.status_code == 200 and "This field is required" in no_reason.content.decode()
    assert balance_get(customer=customer)["balance"] == 200
    assert PointsEntry.objects.filter(kind="adjust", reason="Late parcel").exists()
    assert LoyaltyAccount.objects.get(customer=customer).manual_tier == gold
    assert [m.to for m in mail.outbox] == [["ada@example.com"]]
    assert unconfirmed.status_code == 200
    assert Customer.objects.get(pk=customer.pk).erased_at is not None
