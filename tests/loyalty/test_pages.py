"""The shopper's loyalty panel and redeem pages, the staff admin, and isolation between
customers: nobody sees or spends another customer's points through any page or endpoint."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from rest_framework.test import APIClient

from loyalty import services
from loyalty.models import LoyaltyAccount, Redemption, Tier, TierChange
from loyalty.selectors import balance_get
from tests.factories import CustomerFactory, RewardFactory, TierFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def shopper(client, email="ada@example.com", points=0):
    user = UserFactory(email=email)
    customer = CustomerFactory(email=email, user=user)
    if points:
        services.points_award(customer=customer, points=points, key=f"welcome:{email}")
    client.force_login(user)
    return customer


@pytest.fixture
def tiers():
    TierFactory(name="Bronze", position=1, threshold=Decimal("0"))
    TierFactory(name="Silver", position=2, threshold=Decimal("100"), colour="#8a8f98")
    TierFactory(name="Gold", position=3, threshold=Decimal("500"), colour="#c9a227")


def test_the_account_shows_points_tier_progress_and_affordable_rewards(client, tiers):
    shopper(client, points=150)
    RewardFactory(name="€5 off", cost=100)
    RewardFactory(name="Free serum", kind="free_product", sku="SER-1", amount=None,
                  currency="", cost=400)

    page = client.get(reverse("account")).content.decode()

    assert 'data-testid="points-available">150<' in page
    assert "Silver member" in page
    assert "Earn 350 more points to reach Gold." in page
    assert '<progress class="tier__progress" max="100" value="30"' in page
    assert "reward reward--affordable" in page and "You can redeem this" in page
    assert "250 more points needed" in page
    assert page.index('id="points-title"') < page.index('id="consent-title"')


def test_redeem_asks_for_confirmation_then_spends_and_shows_the_code(client):
    customer = shopper(client, points=150)
    reward = RewardFactory(name="€5 off", cost=100)
    url = reverse("reward_redeem", args=[reward.pk])

    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "Redeem €5 off?" in confirm.content.decode()
    assert balance_get(customer=customer)["balance"] == 150

    response = client.post(url, {"key": "form-1"}, follow=True)

    redemption = Redemption.objects.get(account__customer=customer)
    page = response.content.decode()
    assert redemption.code in page
    assert f'value="{redemption.code}" readonly' in page
    assert balance_get(customer=customer)["balance"] == 50
    # The same form submitted twice issues one voucher.
    client.post(url, {"key": "form-1"})
    assert Redemption.objects.filter(account__customer=customer).count() == 1


def test_a_persian_shopper_reads_their_points_in_persian_digits(client):
    """The counts a shopper reads on their pages are written as their language writes them."""
    customer = shopper(client, points=1240)
    customer.language = "fa"
    customer.save(update_fields=["language"])
    reward = RewardFactory(name="€5 off", cost=100)

    confirm = client.get(reverse("reward_redeem", args=[reward.pk]),
                         HTTP_ACCEPT_LANGUAGE="fa").content.decode()

    assert "<dd>۱٬۲۴۰</dd>" in confirm  # available now
    assert "<dd>۱٬۱۴۰</dd>" in confirm  # left afterwards
    # Counts inside translated sentences too (the cost, the voucher's days).
    assert "۱۰۰ امتیاز" in confirm and "100" not in confirm.split("<main", 1)[-1]


def test_redeem_without_enough_points_explains_and_spends_nothing(client):
    customer = shopper(client, points=40)
    reward = RewardFactory(cost=100)
    url = reverse("reward_redeem", args=[reward.pk])

    assert "You need 60 more points" in client.get(url).content.decode()
    response = client.post(url, {"key": "k"})

    assert response.status_code == 409
    assert "Not enough points" in response.content.decode()
    assert balance_get(customer=customer)["balance"] == 40
    assert not Redemption.objects.exists()


def test_redeem_needs_a_login_and_csrf(client):
    reward = RewardFactory(cost=10)
    url = reverse("reward_redeem", args=[reward.pk])
    assert client.get(url).status_code == 302

    csrf_client = type(client)(enforce_csrf_checks=True)
    shopper(csrf_client, points=50)
    assert csrf_client.post(url, {"key": "k"}).status_code == 403
    assert not Redemption.objects.exists()


def test_nobody_sees_or_spends_another_customers_points(client):
    other = CustomerFactory(email="grace@example.com")
    services.points_award(customer=other, points=999, key="grace-bonus")
    reward = RewardFactory(cost=100)
    services.redemption_create(customer=other, reward=reward)
    grace_code = Redemption.objects.get(account__customer=other).code
    me = shopper(client, points=10)

    page = client.get(reverse("account")).content.decode()
    assert 'data-testid="points-available">10<' in page
    assert ">899<" not in page and grace_code not in page and "grace-bonus" not in page
    # The redeem page only ever spends the signed-in shopper's own points.
    assert client.post(reverse("reward_redeem", args=[reward.pk]),
                       {"key": "x", "customer": other.pk}).status_code == 409
    assert balance_get(customer=other)["balance"] == 899
    # The shopper API answers for the session's customer only, whatever is sent.
    assert client.get("/api/v1/me/loyalty/").json()["balance"] == 10
    entries = client.get("/api/v1/me/loyalty/entries/").json()["results"]
    assert [e["amount"] for e in entries] == [10]
    response = client.post("/api/v1/me/redemptions/", {"reward_id": reward.pk,
                                                       "customer_id": other.pk},
                           content_type="application/json")
    assert response.status_code == 409
    assert balance_get(customer=other)["balance"] == 899
    assert balance_get(customer=me)["balance"] == 10
    # A shopper's session is not an API key: the shop endpoints refuse it.
    assert client.get(f"/api/v1/customers/{other.pk}/loyalty/").status_code in (401, 403)
    assert client.post(f"/api/v1/customers/{other.pk}/redemptions/", {"reward_id": reward.pk},
                       content_type="application/json").status_code in (401, 403)
    assert APIClient().get("/api/v1/me/loyalty/").status_code in (401, 403)


# Admin


@pytest.fixture
def staff_client(client):
    user = UserFactory(email="admin@example.com", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def badge_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 800), (201, 162, 39)).save(buffer, format="PNG")
    return buffer.getvalue()


def tier_form(**overrides):
    data = {"name_en": "Gold", "position": 3, "threshold": "500", "colour": "#c9a227",
            "perks_en": "", "earn_multiplier": "1.5", "entry_points": "0", "entry_reward": ""}
    data.update(overrides)
    return data


def test_admin_adds_a_tier_with_a_badge_resized(staff_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("admin:loyalty_tier_add"), tier_form(
            badge=SimpleUploadedFile("gold.png", badge_png(), content_type="image/png")))

    assert response.status_code == 302
    tier = Tier.objects.get(name="Gold")
    assert tier.badge.name.endswith(".webp")
    assert Image.open(tier.badge.path).size == (256, 256)
    listing = staff_client.get(reverse("admin:loyalty_tier_changelist")).content.decode()
    assert tier.badge.url in listing
    assert "never moves anyone down before the next re-evaluation" in staff_client.get(
        reverse("admin:loyalty_tier_change", args=[tier.pk])).content.decode()


def test_admin_refuses_a_badge_that_is_not_an_image(staff_client):
    response = staff_client.post(reverse("admin:loyalty_tier_add"), tier_form(
        badge=SimpleUploadedFile("gold.png", b"%PDF-1.4", content_type="image/png")))

    assert response.status_code == 200
    assert "This file is not an image" in response.content.decode()
    assert not Tier.objects.exists()


def test_admin_tier_list_counts_members(staff_client, tiers):
    customer = CustomerFactory()
    services.points_award(customer=customer, points=120, key="b")

    page = staff_client.get(reverse("admin:loyalty_tier_changelist")).content.decode()

    silver = Tier.objects.get(name="Silver")
    assert f'?tier__id__exact={silver.pk}">1</a>' in page


def test_admin_sets_a_manual_tier_with_a_reason(staff_client, tiers):
    customer = CustomerFactory()
    account = services.loyalty_account_get_or_create(customer=customer)
    gold = Tier.objects.get(name="Gold")
    url = reverse("admin:loyalty_loyaltyaccount_change", args=[account.pk])
    base = {"manual_tier": gold.pk, "manual_tier_until_0": "2099-01-01",
            "manual_tier_until_1": "00:00:00",
            **{f"{prefix}-{k}": v for prefix in ("tier_changes", "entries")
               for k, v in {"TOTAL_FORMS": "0", "INITIAL_FORMS": "0"}.items()}}

    missing_reason = staff_client.post(url, base)
    assert "Say why the tier is set by hand." in missing_reason.content.decode()

    staff_client.post(url, {**base, "manual_reason": "Brand ambassador"})

    account.refresh_from_db()
    assert account.tier == gold and account.manual_tier == gold
    change = TierChange.objects.get(account=account)
    assert (change.reason, change.note, change.staff.email) == (
        "manual", "Brand ambassador", "admin@example.com")


def test_changing_what_qualifies_recalculates_members_without_moving_anyone_down(
    staff_client, tiers, django_capture_on_commit_callbacks
):
    from loyalty.models import LoyaltyProgram
    from tests.factories import OrderFactory

    customer = CustomerFactory()
    services.points_award(customer=customer, points=150, key="bonus")  # Silver on points
    OrderFactory(customer=customer, total=Decimal("600"))
    program = LoyaltyProgram.get()
    url = reverse("admin:loyalty_loyaltyprogram_change", args=[program.pk])
    form = {"tier_metric": "spent", "tier_period": "lifetime", "tier_retention_days": 365,
            "expiry": program.expiry, "expiry_months": program.expiry_months,
            "expiry_reminder_days": program.expiry_reminder_days, "point_value": "0.01",
            "winback_every_days": program.winback_every_days}  # the form's win-back part

    with django_capture_on_commit_callbacks(execute=True):
        assert staff_client.post(url, form).status_code == 302

    assert LoyaltyAccount.objects.get(customer=customer).tier.name == "Gold"


def test_program_settings_is_a_single_page(staff_client):
    response = staff_client.get(reverse("admin:loyalty_loyaltyprogram_changelist"))
    assert response.status_code == 302
    assert staff_client.get(response.url).status_code == 200


def test_program_page_shows_members_charts_liability_and_breakage(staff_client, tiers):
    customer = CustomerFactory()
    services.points_award(customer=customer, points=300, key="bonus")
    services.redemption_create(customer=customer, reward=RewardFactory(cost=100))

    index = staff_client.get(reverse("admin:app_list", args=["loyalty"])).content.decode()
    assert reverse("admin:loyalty_program_report") in index
    page = staff_client.get(reverse("admin:loyalty_program_report")).content.decode()

    assert page.count('<svg role="img"') == 4
    assert "<title>Silver: 1</title>" in page
    assert "<td>200</td><td>2.00 EUR</td>" in page  # 200 available at €0.01
    assert "Breakage rate" in page and "0.0%" in page


def test_the_program_page_is_for_staff_only(client):
    shopper(client)
    response = client.get(reverse("admin:loyalty_program_report"))
    assert response.status_code == 302
    assert "/admin/login/" in response.url


def test_a_shopper_with_no_points_sees_an_empty_panel(client):
    shopper(client)
    page = client.get(reverse("account")).content.decode()
    assert "No points yet" in page
    assert LoyaltyAccount.objects.count() == 0


def test_a_vip_reward_is_shown_locked_below_its_tier_and_refused_everywhere(client, tiers):
    customer = shopper(client, points=150)  # Silver on the points metric
    gold_only = RewardFactory(name="Gold early access", cost=100,
                              min_tier=Tier.objects.get(name="Gold"))

    page = client.get(reverse("account")).content.decode()
    refused = client.post(reverse("reward_redeem", args=[gold_only.pk]), {"key": "k1"})
    api = APIClient()
    api.force_login(customer.user)
    via_api = api.post("/api/v1/me/redemptions/", {"reward_id": gold_only.pk}, format="json")

    assert "For Gold members and above" in page
    assert reverse("reward_redeem", args=[gold_only.pk]) not in page
    assert refused.status_code == 409 and "for Gold members and above" in refused.content.decode()
    assert via_api.status_code == 409 and via_api.json()["error"]["code"] == "tier_required"
    assert balance_get(customer=customer)["balance"] == 150
    assert not Redemption.objects.exists()


def test_a_vip_reward_is_redeemable_from_its_tier_up(client, tiers):
    customer = shopper(client, points=600)  # Gold
    silver_up = RewardFactory(name="Silver treat", cost=100,
                              min_tier=Tier.objects.get(name="Silver"))

    redemption = services.redemption_create(customer=customer, reward=silver_up)

    assert redemption.points == 100
    assert balance_get(customer=customer)["balance"] == 500
