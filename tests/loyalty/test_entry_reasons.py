"""What Flywheel posts to the ledger itself (a tier's entry points, a cancelled voucher's points
given back) is worded when it is read, in the reader's language, not stored in the language
the worker happened to run in; what staff write stays as they wrote it."""

from decimal import Decimal

import pytest
from django.utils import translation

from loyalty import services
from loyalty.models import PointsEntry
from loyalty.selectors import points_entry_causes, points_entry_list
from tests.factories import CustomerFactory, RewardFactory, TierFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lena():
    TierFactory(name="Bronze", position=1, threshold=Decimal("0"))
    TierFactory(name="Gold", position=2, threshold=Decimal("100"), entry_points=25)
    customer = CustomerFactory(email="lena@example.com")
    services.points_award(customer=customer, points=150, key="welcome", kind="earn")
    reward = RewardFactory(name="€5 off", cost=50)
    services.voucher_cancel(redemption=services.redemption_create(customer=customer,
                                                                  reward=reward))
    return customer


def causes(customer, language: str) -> dict[str, str]:
    with translation.override(language):
        return {entry.key: cause
                for entry, cause in points_entry_causes(points_entry_list(customer=customer))}


def test_a_tier_bonus_and_a_cancelled_voucher_read_in_each_readers_language(lena):
    tier_key = PointsEntry.objects.get(key__startswith="tier:").key
    refund = PointsEntry.objects.get(key__endswith=":refund")
    code = refund.redemption.code

    english, turkish = causes(lena, "en"), causes(lena, "tr")

    assert english[tier_key] == "Welcome to Gold"
    assert english[refund.key] == f"Voucher {code} cancelled"
    assert turkish[tier_key] == "Gold seviyesine hoş geldiniz"
    assert turkish[refund.key] == f"{code} kuponu iptal edildi"
    assert set(PointsEntry.objects.filter(key__in=[tier_key, refund.key])
               .values_list("reason", flat=True)) == {""}


def test_the_api_words_them_in_the_requests_language(api, lena):
    entries = api.get(f"/api/v1/customers/{lena.pk}/loyalty/entries/",
                      HTTP_ACCEPT_LANGUAGE="tr").json()["results"]

    assert "Gold seviyesine hoş geldiniz" in [entry["reason"] for entry in entries]


def test_what_staff_wrote_stays_as_written(lena):
    services.points_adjust(account=lena.loyalty_account, amount=-5, by=UserFactory(is_staff=True),
                           reason="Goodwill: parcel was late", key="adjust-1")

    assert causes(lena, "tr")["adjust-1"] == "Goodwill: parcel was late"


def test_admin_words_every_row_of_the_ledger_with_one_query_for_the_tiers(admin_client, lena):
    """A customer moved through tiers many times: the account page's ledger names each tier
    without a query per row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from loyalty.models import Tier

    gold = Tier.objects.get(name="Gold")
    page = reverse("admin:loyalty_loyaltyaccount_change", args=[lena.loyalty_account.pk])

    def read() -> tuple[str, int]:
        with CaptureQueriesContext(connection) as queries:
            html = admin_client.get(page).content.decode()
        return html, len(queries)

    read()  # the first page of a session reads what later pages have cached
    html, once = read()
    for n in range(3):
        services.points_award(customer=lena, points=5, key=f"tier:{gold.pk}:entry:again-{n}",
                              kind="earn")
    again, after = read()

    assert html.count("Welcome to Gold") == 1 and again.count("Welcome to Gold") == 4
    assert after == once
