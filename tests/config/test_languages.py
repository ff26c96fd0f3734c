"""Flywheel speaks en, tr, fa (right to left) and zh-Hant: what a shopper, a shop's system and
a staff member notice about the language they are answered in."""

from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from customers.models import Customer
from loyalty import services as loyalty_services
from tests.conftest import at
from tests.customers.test_shopify_webhooks import SECRET, fixture, post_shopify
from tests.customers.test_views import shopper
from tests.factories import CustomerFactory, EarningRuleFactory, OrderFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_shop_offers_exactly_the_four_complete_languages():
    assert [code for code, _name in settings.LANGUAGES] == ["en", "tr", "fa", "zh-hant"]


@pytest.mark.parametrize(("accept", "lang", "direction", "words"), [
    ("tr-TR,tr;q=0.9", "tr", "ltr", "Ödül Kulübü"),
    ("fa-IR,fa;q=0.9", "fa", "rtl", "باشگاه مشتریان"),
    ("zh-TW,zh;q=0.9", "zh-hant", "ltr", "會員俱樂部"),
    ("zh-Hant-HK", "zh-hant", "ltr", "會員俱樂部"),
])
def test_a_page_is_written_in_the_language_the_browser_asks_for(client, accept, lang,
                                                                 direction, words):
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE=accept).content.decode()

    assert f'<html lang="{lang}" dir="{direction}">' in page
    assert words in page
    assert "Rewards club" not in page


@pytest.mark.parametrize("accept", ["fr-FR,fr;q=0.9", "ar", "de"])
def test_a_language_the_shop_does_not_offer_gets_the_default_and_says_so(client, accept):
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE=accept).content.decode()

    assert '<html lang="en" dir="ltr">' in page  # never an English page that claims French
    assert "Rewards club" in page


def test_an_api_error_speaks_the_request_language_and_keeps_its_code(api):
    english = api.get("/api/v1/vouchers/NO-SUCH-CODE/", HTTP_ACCEPT_LANGUAGE="en").json()
    chinese = api.get("/api/v1/vouchers/NO-SUCH-CODE/", HTTP_ACCEPT_LANGUAGE="zh-Hant").json()

    assert chinese["error"]["code"] == english["error"]["code"] == "voucher_not_found"
    assert english["error"]["message"] == "No voucher has this code."
    assert chinese["error"]["message"] == "沒有此代碼的優惠券。"


def test_a_form_error_on_the_api_speaks_the_request_language(api):
    response = api.post("/api/v1/customers/", {"email": "not an email"}, format="json",
                        HTTP_ACCEPT_LANGUAGE="tr")

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["email"] == "Geçerli bir e-posta adresi girin."


def test_an_email_to_a_turkish_customer_arrives_in_turkish(
        django_capture_on_commit_callbacks, mailoutbox):
    EarningRuleFactory()
    customer = CustomerFactory(user=UserFactory(), first_name="Ayşe", language="tr")
    paid = at("2026-11-01T10:00:00Z")
    order = OrderFactory(customer=customer, name="#1001", total=Decimal("59.90"),
                         placed_at=paid, paid_at=paid)

    with django_capture_on_commit_callbacks(execute=True):
        loyalty_services.points_award_for_order(order=order)

    [message] = mailoutbox
    html = message.alternatives[0][0]
    assert message.subject == f"{settings.SITE_NAME} mağazasında 59 puan kazandınız"
    assert "Merhaba Ayşe," in message.body
    assert "#1001 numaralı siparişiniz için 59 puan kazandınız." in message.body
    assert "You earned" not in message.body + html
    assert '<html lang="tr" dir="ltr">' in html


def test_a_platform_locale_chooses_the_email_language_until_the_customer_chooses(
        django_capture_on_commit_callbacks, mailoutbox):
    EarningRuleFactory()
    customer = CustomerFactory(user=UserFactory(), locale="fa-IR")
    paid = at("2026-11-01T10:00:00Z")
    order = OrderFactory(customer=customer, total=Decimal("20.00"), placed_at=paid,
                         paid_at=paid)

    with django_capture_on_commit_callbacks(execute=True):
        loyalty_services.points_award_for_order(order=order)

    [message] = mailoutbox
    assert "امتیاز" in message.subject
    assert '<html lang="fa" dir="rtl">' in message.alternatives[0][0]


def test_the_switcher_remembers_the_choice_in_a_cookie_and_on_the_profile(client):
    customer = shopper(client)

    response = client.post(reverse("language_set"), {"language": "fa", "next": "/account/"})

    assert response.status_code == 302 and response["Location"] == "/account/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fa"
    customer.refresh_from_db()
    assert customer.language == "fa"
    page = client.get(reverse("account")).content.decode()
    assert '<html lang="fa" dir="rtl">' in page


def test_a_customer_s_language_follows_them_to_a_browser_without_the_cookie(client):
    shopper(client, language="zh-hant")

    page = client.get(reverse("account"), HTTP_ACCEPT_LANGUAGE="en-GB").content.decode()

    assert '<html lang="zh-hant" dir="ltr">' in page
    assert "我的帳號" in page


def test_the_cookie_wins_over_the_browser_for_a_visitor(client):
    client.post(reverse("language_set"), {"language": "tr", "next": "/"})

    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="zh-TW").content.decode()

    assert '<html lang="tr" dir="ltr">' in page


def test_the_switcher_refuses_a_language_the_shop_does_not_offer(client):
    customer = shopper(client)

    client.post(reverse("language_set"), {"language": "fr", "next": "/account/"})

    customer.refresh_from_db()
    assert customer.language == ""


def test_the_switcher_is_a_labelled_form_on_every_shopper_page(client):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="tr").content.decode()

    assert f'action="{reverse("language_set")}"' in page
    assert '<label for="language-switcher">Dil</label>' in page
    for code, name in [("en", "English"), ("tr", "Türkçe"), ("fa", "فارسی"),
                       ("zh-hant", "繁體中文")]:
        assert f'lang="{code}"' in page and name in page


def test_shopify_s_customer_locale_sets_the_language(anon_api, settings,
                                                    django_capture_on_commit_callbacks):
    """The customers/create payload of Shopify's webhook reference, with the `locale` Shopify
    sends for a customer who shops the Turkish storefront."""
    settings.SHOPIFY_WEBHOOK_SECRET = SECRET
    payload = fixture("shopify_customers_create") | {"locale": "tr-TR"}

    with django_capture_on_commit_callbacks(execute=True):
        post_shopify(anon_api, "customers/create", payload)

    customer = Customer.objects.get()
    assert (customer.locale, customer.language) == ("tr-TR", "tr")


@pytest.mark.parametrize(("body", "language"), [
    ({"locale": "zh-TW"}, "zh-hant"),
    ({"locale": "fr-FR"}, ""),
    ({"locale": "zh-CN"}, ""),  # Simplified Chinese readers are not sent Traditional
    ({"locale": "en-US", "language": "fa"}, "fa"),
])
def test_the_api_sets_the_language_or_takes_it_from_the_locale(api, body, language):
    response = api.post("/api/v1/customers/", {"email": "ada@example.com", **body},
                        format="json")

    assert response.status_code == 200
    assert response.json()["language"] == language
    assert Customer.objects.get().language == language


def test_the_api_refuses_a_language_the_shop_does_not_offer(api):
    response = api.post("/api/v1/customers/", {"email": "ada@example.com", "language": "fr"},
                        format="json")

    assert response.status_code == 400
    assert "language" in response.json()["error"]["fields"]


@pytest.mark.parametrize(("language", "text"), [
    ("en", "Spend €13.60 more by 31 December to reach Gold."),
    ("tr", "Gold seviyesine ulaşmak için 31 Aralık tarihine kadar €13,60 daha harcayın."),
    ("fa", "برای رسیدن به سطح Gold تا ۱۰ دی \u200e€\u00a0۱۳٫۶۰ دیگر خرید کنید."),
    ("zh-hant", "在 12月31日 前再消費 €13.60，即可升級為 Gold。"),
])
def test_tier_progress_reads_naturally_in_each_language(language, text):
    """The tier sentence puts the amount, the date and the tier where each language does,
    with the language's money and calendar (Solar Hijri on Persian pages)."""
    from django.utils import translation

    from loyalty.models import LoyaltyProgram
    from loyalty.selectors import loyalty_summary_get
    from tests.factories import TierFactory
    from tests.loyalty.test_tiers import paid, program

    TierFactory(name="Bronze", position=1, threshold=Decimal("0"))
    TierFactory(name="Silver", position=2, threshold=Decimal("100"))
    TierFactory(name="Gold", position=3, threshold=Decimal("200"))
    program(tier_metric=LoyaltyProgram.TierMetric.SPENT,
            tier_period=LoyaltyProgram.TierPeriod.CALENDAR_YEAR)
    customer = CustomerFactory()
    paid(customer, "186.40", at("2026-10-01T10:00:00Z"))

    with time_machine.travel(at("2026-11-22T10:00:00Z")), translation.override(language):
        summary = loyalty_summary_get(customer=customer)

    assert summary["progress"]["text"] == text


@pytest.mark.parametrize(("language", "count", "text"), [
    ("en", 1, "Earn 1 more point to reach Silver."),
    ("en", 30, "Earn 30 more points to reach Silver."),
    ("tr", 1, "Silver seviyesine ulaşmak için 1 puan daha kazanın."),
    ("tr", 30, "Silver seviyesine ulaşmak için 30 puan daha kazanın."),
    ("zh-hant", 30, "再累積 30 點，即可升級為 Silver。"),
    ("fa", 30, "برای رسیدن به سطح Silver ۳۰ امتیاز دیگر بگیرید."),
])
def test_tier_progress_plurals(language, count, text):
    from django.utils import translation

    from loyalty import services
    from loyalty.selectors import loyalty_summary_get
    from tests.factories import TierFactory

    TierFactory(name="Bronze", position=1, threshold=Decimal("0"))
    TierFactory(name="Silver", position=2, threshold=Decimal("100"))
    customer = CustomerFactory()
    services.points_award(customer=customer, points=100 - count, key="bonus")

    with translation.override(language):
        assert loyalty_summary_get(customer=customer)["progress"]["text"] == text
