"""The shop's own words in every language: tiers, rewards, earning rules' wording and the
widget's launcher, entered per language in admin and read back in the shopper's language by
the account page, the loyalty API, the storefront widget and the e-mails; a blank translation
shows the default language's text."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from loyalty import services
from loyalty.models import EarningRule, Reward, Tier, TierChange
from tests.factories import (
    ActivityRuleFactory,
    CustomerFactory,
    PublishableKeyFactory,
    RewardFactory,
    TierFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

SHOP = "https://shop.example.com"


@pytest.fixture(autouse=True)
def _english():
    """Each test starts in English, whatever language an earlier request left active."""
    with translation.override("en"):
        yield


def give(customer, points: int) -> None:
    services.points_award(customer=customer, points=points, key=f"bonus:{customer.pk}:{points}")


@pytest.fixture
def tiers():
    return {
        "Bronze": TierFactory(name="Bronze", name_tr="Bronz", name_fa="برنزی",
                              position=1, threshold=Decimal("0")),
        "Silver": TierFactory(name="Silver", name_tr="Gümüş", name_fa="نقره‌ای",
                              name_zh_hant="銀卡", perks="Free shipping",
                              perks_tr="Ücretsiz kargo", position=2, threshold=Decimal("100")),
        "Gold": TierFactory(name="Gold", name_tr="Altın", name_fa="طلایی", name_zh_hant="金卡",
                            position=3, threshold=Decimal("200")),
    }


@pytest.fixture
def serum():
    return RewardFactory(name="Free serum", name_tr="Hediye serum", name_fa="سرم هدیه",
                         description="A full-size serum", description_fa="یک سرم در اندازهٔ کامل",
                         kind="free_product", sku="SER-1", amount=None, currency="", cost=100)


# The API, in the language the request asks for


def test_the_rewards_api_answers_in_the_requested_language(api, serum):
    persian = api.get("/api/v1/rewards/", HTTP_ACCEPT_LANGUAGE="fa").json()
    english = api.get("/api/v1/rewards/", HTTP_ACCEPT_LANGUAGE="en").json()

    assert persian["results"][0]["name"] == "سرم هدیه"
    assert persian["results"][0]["description"] == "یک سرم در اندازهٔ کامل"
    assert english["results"][0]["name"] == "Free serum"


def test_a_blank_translation_answers_the_default_language(api, serum):
    body = api.get("/api/v1/rewards/", HTTP_ACCEPT_LANGUAGE="zh-Hant").json()

    assert body["results"][0]["name"] == "Free serum"
    assert body["results"][0]["description"] == "A full-size serum"


def test_tier_progress_names_the_tiers_in_the_requested_language(api, tiers):
    customer = CustomerFactory()
    give(customer, 120)

    body = api.get(f"/api/v1/customers/{customer.pk}/loyalty/",
                   HTTP_ACCEPT_LANGUAGE="tr").json()

    assert body["tier"]["name"] == "Gümüş"
    assert body["tier"]["perks"] == "Ücretsiz kargo"
    assert body["next_tier"]["name"] == "Altın"
    assert "Altın" in body["progress"]["text"]


def test_the_storefront_widget_speaks_the_shoppers_language(serum, tiers):
    key = PublishableKeyFactory(launcher_text="Rewards club", launcher_text_tr="Ödül kulübü")
    ActivityRuleFactory(name="Write a review", name_tr="Yorum yaz", activity_kind="review_written",
                        points=25)
    widget = APIClient()
    widget.credentials(HTTP_AUTHORIZATION=f"Bearer {key.key}", HTTP_ORIGIN=SHOP)

    turkish = widget.get("/api/v1/storefront/bootstrap/", HTTP_ACCEPT_LANGUAGE="tr").json()
    persian = widget.get("/api/v1/storefront/bootstrap/", HTTP_ACCEPT_LANGUAGE="fa").json()

    assert turkish["theme"]["launcher_text"] == "Ödül kulübü"
    assert turkish["program"]["rewards"][0]["name"] == "Hediye serum"
    assert "Yorum yaz" in [way["title"] for way in turkish["program"]["ways_to_earn"]]
    assert persian["theme"]["launcher_text"] == "Rewards club"  # blank: the default
    assert persian["program"]["rewards"][0]["name"] == "سرم هدیه"


def test_a_storefront_without_launcher_text_says_rewards_in_the_shoppers_language():
    key = PublishableKeyFactory(launcher_text="")
    widget = APIClient()
    widget.credentials(HTTP_AUTHORIZATION=f"Bearer {key.key}", HTTP_ORIGIN=SHOP)

    body = widget.get("/api/v1/storefront/bootstrap/", HTTP_ACCEPT_LANGUAGE="tr").json()

    assert body["theme"]["launcher_text"] not in ("", None)


# The account page


def test_the_account_page_names_tiers_and_rewards_in_the_shoppers_language(client, tiers,
                                                                          serum):
    user = UserFactory(email="ada@example.com")
    customer = CustomerFactory(email="ada@example.com", user=user, language="fa")
    give(customer, 150)
    client.force_login(user)

    page = client.get(reverse("account")).content.decode()

    assert "سرم هدیه" in page and "Free serum" not in page
    assert "نقره‌ای" in page and "طلایی" in page


# E-mails, in the customer's language whoever triggers them


def test_a_turkish_customers_tier_up_email_names_the_turkish_tier(
    tiers, mailoutbox, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(email="elif@example.com", language="tr", accepts_marketing=True)

    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        give(customer, 120)

    mail = mailoutbox[0]
    assert "Gümüş" in mail.subject
    assert "Silver" not in mail.body and "Gümüş" in mail.body
    assert "Ücretsiz kargo" in mail.body
    assert "Altın" in mail.body  # the next tier, in the progress sentence
    assert "Gümüş" in mail.alternatives[0][0]


def test_a_turkish_customers_voucher_email_names_the_turkish_reward(
    serum, mailoutbox, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(email="elif@example.com", language="tr", accepts_marketing=True)
    give(customer, 300)

    with translation.override("fa"), django_capture_on_commit_callbacks(execute=True):
        services.redemption_create(customer=customer, reward=serum)

    mail = mailoutbox[-1]
    assert "Hediye serum" in mail.subject and "Hediye serum" in mail.body
    assert "سرم هدیه" not in mail.body


def test_tier_records_keep_the_default_language_name_whatever_language_is_active(tiers):
    customer = CustomerFactory()

    with translation.override("tr"):
        give(customer, 120)

    change = TierChange.objects.get(account__customer=customer)
    customer.refresh_from_db()
    assert (change.to_name, customer.loyalty_tier) == ("Silver", "Silver")


# Admin: a field per language


def test_the_admin_forms_show_a_field_per_language(admin_client, tiers, serum):
    rule = ActivityRuleFactory()
    key = PublishableKeyFactory()
    pages = {
        "tier": reverse("admin:loyalty_tier_change", args=[tiers["Silver"].pk]),
        "reward": reverse("admin:loyalty_reward_change", args=[serum.pk]),
        "rule": reverse("admin:loyalty_earningrule_change", args=[rule.pk]),
        "key": reverse("admin:storefront_publishablekey_change", args=[key.pk]),
        "new tier": reverse("admin:loyalty_tier_add"),
    }
    for page, url in pages.items():
        response = admin_client.get(url)
        html = response.content.decode()

        assert response.status_code == 200, page
        field = "launcher_text" if page == "key" else "name"
        for code in ("en", "tr", "fa", "zh_hant"):
            assert f'name="{field}_{code}"' in html, (page, code)
        assert "Blank: shoppers reading this language see the English text." in html
        assert "code.jquery.com" not in html and "//cdn" not in html  # the CSP allows none
    silver = admin_client.get(pages["tier"]).content.decode()
    assert 'value="Gümüş"' in silver and 'lang="fa" dir="rtl"' in silver


def test_staff_enter_a_tier_in_every_language(admin_client, tiers):
    tier = tiers["Gold"]
    response = admin_client.post(reverse("admin:loyalty_tier_change", args=[tier.pk]), {
        "name_en": "Gold", "name_tr": "Altın", "name_fa": "طلایی", "name_zh_hant": "金級",
        "perks_en": "Early access", "perks_tr": "", "perks_fa": "", "perks_zh_hant": "",
        "position": "3", "threshold": "200", "colour": "#c9a227", "earn_multiplier": "1",
        "entry_points": "0", "entry_reward": ""})

    assert response.status_code == 302
    tier = Tier.objects.get(pk=tier.pk)
    assert (tier.name_zh_hant, tier.perks_en) == ("金級", "Early access")
    with translation.override("tr"):
        assert (tier.name, tier.perks) == ("Altın", "Early access")


def test_two_tiers_may_both_lack_a_translation(admin_client, tiers):
    for name, position in (("Platinum", 4), ("Diamond", 5)):
        response = admin_client.post(reverse("admin:loyalty_tier_add"), {
            "name_en": name, "name_tr": "", "name_fa": "", "name_zh_hant": "",
            "position": str(position), "threshold": str(position * 100), "colour": "#111111",
            "earn_multiplier": "1", "entry_points": "0", "entry_reward": ""})
        assert response.status_code == 302, name

    assert set(Tier.objects.filter(position__gte=4).values_list("name_tr", flat=True)) == {None}


def test_staff_reading_admin_in_turkish_keep_the_english_rule_wording(admin_client):
    rule = ActivityRuleFactory(name="Write a review", activity_kind="review_written", points=25)

    response = admin_client.post(
        reverse("admin:loyalty_earningrule_change", args=[rule.pk]),
        {"name_en": "Write a review", "name_tr": "Yorum yaz", "name_fa": "", "name_zh_hant": "",
         "activity_kind": "review_written", "points": "25", "points_per_unit": "1",
         "multiplier": "1", "cap_period": "ever", "is_active": "on"},
        HTTP_ACCEPT_LANGUAGE="tr")

    assert response.status_code == 302
    rule = EarningRule.objects.get(pk=rule.pk)
    assert (rule.name_en, rule.name_tr, rule.name_fa, rule.version) == (
        "Write a review", "Yorum yaz", None, 2)


def test_staff_find_a_reward_by_its_words_in_any_language(admin_client, serum):
    RewardFactory(name="€5 off")
    url = reverse("admin:loyalty_reward_changelist")

    persian = admin_client.get(url, {"q": "سرم"}).content.decode()
    english = admin_client.get(url, {"q": "serum"}, HTTP_ACCEPT_LANGUAGE="tr").content.decode()

    assert "Free serum" in persian and "€5 off" not in persian
    assert "Hediye serum" in english and "€5 off" not in english


def test_saving_a_reward_without_changing_its_words_keeps_its_translations(serum):
    with translation.override("tr"):
        reward = Reward.objects.get(pk=serum.pk)
        reward.stock = 5
        reward.save()

    reward = Reward.objects.get(pk=serum.pk)
    assert (reward.name_en, reward.name_tr, reward.name_zh_hant) == (
        "Free serum", "Hediye serum", None)


# The demo shop


def catalog() -> dict:
    return {model.__name__: sorted(model.objects.values_list().order_by("pk"))
            for model in (Tier, Reward, EarningRule)}


def test_the_demo_ships_its_tiers_rewards_and_rules_in_four_languages_and_seeds_twice_alike():
    from django.core.management import call_command

    with translation.override("tr"):  # a shop whose default language is not English
        call_command("seed_demo_loyalty", stdout=io.StringIO())
        call_command("seed_demo_referrals", stdout=io.StringIO())
    first = catalog()
    call_command("seed_demo_loyalty", stdout=io.StringIO())
    call_command("seed_demo_referrals", stdout=io.StringIO())

    assert catalog() == first
    assert Tier.objects.count() == 3
    for model in (Tier, Reward, EarningRule):
        for row in model.objects.all():
            names = [getattr(row, f"name_{code}") for code in ("en", "tr", "fa", "zh_hant")]
            assert all(names) and len(set(names)) == 4, names
    gold = Tier.objects.get(name_en="Gold")
    assert (gold.name_tr, gold.name_fa, gold.name_zh_hant) == ("Altın", "طلایی", "金卡")
    with translation.override("fa"):
        assert "سطح طلایی" in gold.perks
