"""The widget's API as embed.js uses it: what a guest and a signed shopper see, redeeming,
the embedded quiz and the referral landing. The shopper is always the token's: no customer id
is ever taken from the browser."""

import datetime as dt
import gzip
from decimal import Decimal

import pytest
import time_machine
from rest_framework.test import APIClient

from loyalty import services as loyalty_services
from loyalty.selectors import balance_get
from quizzes.models import QuizResponse
from referrals.models import ReferralClick
from storefront.services import shopper_session_open, shopper_signature
from storefront.views import embed_source
from tests.factories import (
    ActivityRuleFactory,
    CustomerFactory,
    EarningRuleFactory,
    ProductFactory,
    PublishableKeyFactory,
    QuizVersionFactory,
    ReferralCodeFactory,
    RewardFactory,
    TierFactory,
)
from tests.storefront.platform_server import woo_coupon

pytestmark = pytest.mark.django_db

SHOP = "https://shop.example.com"
EMBED_BUDGET_GZIP = 30 * 1024


@pytest.fixture
def storefront():
    return PublishableKeyFactory(add_to_cart_url="/cart/add?id={sku}")


@pytest.fixture
def ada():
    return CustomerFactory(email="ada@example.com", first_name="Ada")


def widget(key, token: str = "") -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key.key}", HTTP_ORIGIN=SHOP,
                    **({"HTTP_X_FLYWHEEL_SHOPPER": token} if token else {}))
    return api


def token_for(key, customer) -> str:
    import time

    timestamp = int(time.time())
    signature = shopper_signature(secret=key.signing_secret, customer_id="c-1",
                                  email=customer.email, timestamp=timestamp)
    token, _expires, _customer = shopper_session_open(
        publishable_key=key, customer_id="c-1", email=customer.email, timestamp=timestamp,
        signature=signature)
    return token


def test_a_guest_sees_what_joining_brings_and_the_shops_own_pages(storefront):
    EarningRuleFactory(points_per_unit=Decimal("2"))
    ActivityRuleFactory(activity_kind="birthday", points=100, name="Birthday")
    RewardFactory(name="€5 off", cost=500)

    body = widget(storefront).get("/api/v1/storefront/bootstrap/").json()

    assert body["shopper"] is None
    assert body["links"] == {"signup": "https://shop.example.com/account/register",
                             "login": "https://shop.example.com/account/login"}
    ways = {way["title"]: way["earns"] for way in body["program"]["ways_to_earn"]}
    assert ways == {"Shop with us": "2 points per €1 spent",
                    "Celebrate your birthday": "100 points"}
    assert [(r["name"], r["cost"]) for r in body["program"]["rewards"]] == [("€5 off", 500)]
    assert body["strings"]["guest_title"] == "Join our rewards programme"
    assert body["theme"]["launcher_text"] == "Rewards"


def test_the_theme_comes_from_admin(storefront):
    storefront.accent_colour, storefront.launcher_text = "#aa3300", "Glow points"
    storefront.position = "start"
    storefront.save()

    theme = widget(storefront).get("/api/v1/storefront/bootstrap/").json()["theme"]

    assert theme["accent"] == "#aa3300"
    assert theme["launcher_text"] == "Glow points"
    assert theme["position"] == "start"


def test_the_words_follow_the_shoppers_language(storefront):
    english = widget(storefront).get("/api/v1/storefront/bootstrap/",
                                     HTTP_ACCEPT_LANGUAGE="en").json()["strings"]

    assert english["redeem"] == "Redeem"
    assert all(isinstance(text, str) and text for text in english.values())
    turkish = widget(storefront).get("/api/v1/storefront/bootstrap/",
                                     HTTP_ACCEPT_LANGUAGE="tr").json()["strings"]
    assert turkish["sync_pending"] == "Mağazanın ödeme adımına ekleniyor…"


def test_a_signed_shopper_sees_balance_vouchers_referral_and_history(storefront, ada):
    loyalty_services.points_award(customer=ada, points=700, key="welcome")
    reward = RewardFactory(name="€5 off", cost=500)
    voucher = loyalty_services.redemption_create(customer=ada, reward=reward)

    shopper = widget(storefront, token_for(storefront, ada)).get(
        "/api/v1/storefront/bootstrap/").json()["shopper"]

    assert shopper["first_name"] == "Ada"
    assert (shopper["balance"], shopper["pending"]) == (200, 0)
    assert [v["code"] for v in shopper["vouchers"]] == [voucher.code]
    assert [h["amount"] for h in shopper["history"]] == [-500, 700]
    assert voucher.code in shopper["history"][0]["reason"]
    referral = shopper["referral"]
    assert referral["url"] == f"{SHOP}/?ref={referral['code']}"
    assert referral["qr_svg"].startswith("<svg")


def test_points_for_an_activity_show_in_the_history_with_what_happened(storefront, ada):
    """Welcome points and the like: an entry whose cause is an activity (schemathesis found the
    bootstrap answering 500 for such a history)."""
    ActivityRuleFactory(name="Welcome", activity_kind="customer_created", points=10)
    from customers.services import activity_record

    activity_record(customer=ada, kind="customer_created", key="ada-created")

    shopper = widget(storefront, token_for(storefront, ada)).get(
        "/api/v1/storefront/bootstrap/").json()["shopper"]

    assert [(h["amount"], h["reason"]) for h in shopper["history"]] == [
        (10, "Welcome to the club")]


@time_machine.travel(dt.datetime(2026, 12, 6, 10, 0, tzinfo=dt.UTC), tick=False)
def test_a_persian_shopper_reads_numbers_and_dates_as_persian_writes_them(storefront, ada):
    """The language the words are in, for the numbers the widget writes (Intl); the dates and
    the tier progress written on the server, Solar Hijri and Persian digits."""
    TierFactory(name="Bronze", position=1, threshold=Decimal("0"))
    TierFactory(name="Silver", position=2, threshold=Decimal("1000"))
    loyalty_services.points_award(customer=ada, points=700, key="welcome", kind="earn")
    loyalty_services.redemption_create(customer=ada, reward=RewardFactory(cost=100))

    boot = widget(storefront, token_for(storefront, ada)).get(
        "/api/v1/storefront/bootstrap/", HTTP_ACCEPT_LANGUAGE="fa").json()

    assert boot["language"] == "fa"
    shopper = boot["shopper"]
    assert shopper["history"][-1]["date"] == "2026-12-06"  # the API stays ISO
    assert shopper["history"][-1]["date_label"] == "۱۵ آذر ۱۴۰۵"
    assert shopper["vouchers"][0]["expires_label"] == "۱۵ اسفند ۱۴۰۵"
    assert "۳۰۰" in shopper["progress"]["text"] and "300" not in shopper["progress"]["text"]


@pytest.mark.parametrize(("template", "variant_id", "link"), [
    ("/cart/add?id={variant_id}", "44719210053907", "/cart/add?id=44719210053907"),
    ("/cart/add?id={variant_id}", "", ""),  # Shopify's cart can't take a SKU: no button
    ("/?add-to-cart={variant_id}&sku={sku}", "17", "/?add-to-cart=17&sku=BALM%20%2650ML"),
    ("", "17", ""),
], ids=["shopify", "no variant id", "sku quoted", "no link"])
def test_the_add_to_cart_link_takes_the_products_variant_id_or_sku(template, variant_id, link):
    from storefront.apis import add_to_cart_link

    product = ProductFactory.build(sku="BALM &50ML", variant_id=variant_id)

    assert add_to_cart_link(template, product) == link


def test_the_shopper_redeems_and_gets_a_code(storefront, ada):
    loyalty_services.points_award(customer=ada, points=600, key="welcome")
    reward = RewardFactory(name="€5 off", cost=500)

    response = widget(storefront, token_for(storefront, ada)).post(
        "/api/v1/storefront/redemptions/", {"reward_id": reward.pk}, format="json")

    assert response.status_code == 201
    assert response.json()["reward"] == "€5 off"
    assert len(response.json()["code"]) >= 6
    assert balance_get(customer=ada)["balance"] == 100


@pytest.mark.django_db(transaction=True)
def test_the_redeem_answer_says_whether_the_code_reached_the_shops_checkout(storefront, ada,
                                                                           woo):
    """Committed for real, so the push runs (inline, no broker) before the answer is made.
    WooCommerce's answers as in its REST API docs (tests/storefront/platform_server.py): the
    first coupon is created, the second refused (the shop revoked the keys meanwhile)."""
    woo.answer(201, lambda seen: woo_coupon(seen.body["code"]))
    woo.answer(401, {"code": "woocommerce_rest_cannot_create",
                     "message": "Sorry, you are not allowed to create resources.",
                     "data": {"status": 401}})
    loyalty_services.points_award(customer=ada, points=1000, key="welcome")
    reward = RewardFactory(name="€5 off", cost=500)
    shop = widget(storefront, token_for(storefront, ada))

    synced, failed = (shop.post("/api/v1/storefront/redemptions/", {"reward_id": reward.pk},
                                format="json").json() for _ in range(2))
    boot = shop.get("/api/v1/storefront/bootstrap/").json()

    assert (synced["sync"], failed["sync"]) == ("synced", "failed")
    assert {v["code"]: v["sync"] for v in boot["shopper"]["vouchers"]} == {
        synced["code"]: "synced", failed["code"]: "failed"}
    assert boot["strings"]["sync_failed"] == (
        "This code is being set up; try again at checkout in a few minutes.")


def test_a_code_whose_push_has_not_run_yet_is_being_added(storefront, ada, woo):
    """The push waits for a worker after the commit (never run here)."""
    loyalty_services.points_award(customer=ada, points=600, key="welcome")
    reward = RewardFactory(cost=500)
    shop = widget(storefront, token_for(storefront, ada))

    answer = shop.post("/api/v1/storefront/redemptions/", {"reward_id": reward.pk},
                       format="json").json()
    boot = shop.get("/api/v1/storefront/bootstrap/").json()

    assert answer["sync"] == "pending"
    assert [v["sync"] for v in boot["shopper"]["vouchers"]] == ["pending"]
    assert boot["strings"]["sync_pending"] == "Being added to the shop's checkout…"
    assert woo.requests == []


def test_without_a_shop_platform_vouchers_carry_no_checkout_state(storefront, ada):
    loyalty_services.points_award(customer=ada, points=600, key="welcome")
    reward = RewardFactory(cost=500)

    answer = widget(storefront, token_for(storefront, ada)).post(
        "/api/v1/storefront/redemptions/", {"reward_id": reward.pk}, format="json").json()

    assert answer["sync"] == "not_needed"


def test_redeeming_without_enough_points_is_a_409(storefront, ada):
    reward = RewardFactory(cost=500)

    response = widget(storefront, token_for(storefront, ada)).post(
        "/api/v1/storefront/redemptions/", {"reward_id": reward.pk}, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "insufficient_points"


def test_a_guest_cannot_redeem(storefront):
    reward = RewardFactory(cost=1)

    response = widget(storefront).post("/api/v1/storefront/redemptions/",
                                       {"reward_id": reward.pk}, format="json")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "shopper_required"


@pytest.fixture
def skin_quiz():
    ProductFactory(sku="GEL", name="Clarifying gel", tags=["oily-skin", "acne"],
                   price=Decimal("12.00"))
    ProductFactory(sku="BALM", name="Rich balm", tags=["dry-skin", "cold"],
                   price=Decimal("20.00"))
    return QuizVersionFactory(quiz__slug="skin")


def test_the_embedded_quiz_reads_the_published_quiz(storefront, skin_quiz):
    quiz = widget(storefront).get("/api/v1/storefront/quizzes/skin/").json()

    assert quiz["first_question"] == "q1"
    assert [q["key"] for q in quiz["questions"]] == ["q1", "q2", "q3", "q4"]


def test_an_embedded_quiz_completes_with_picks_linking_to_the_shops_products(storefront,
                                                                            skin_quiz):
    ActivityRuleFactory(points=50)

    response = widget(storefront).post("/api/v1/storefront/quizzes/skin/responses/", {
        "answers": {"q1": "c2", "q3": ["c6"]}}, format="json")

    assert response.status_code == 201
    first = response.json()["picks"][0]
    assert (first["name"], first["url"]) == ("Rich balm", "https://shop.example.com/products/balm")
    assert first["add_to_cart_url"] == "/cart/add?id=BALM"
    assert response.json()["points"] == 50
    assert QuizResponse.objects.get().customer is None


def test_a_signed_shoppers_quiz_is_theirs_and_earns_points(storefront, skin_quiz, ada):
    ActivityRuleFactory(points=50)

    widget(storefront, token_for(storefront, ada)).post(
        "/api/v1/storefront/quizzes/skin/responses/", {"answers": {"q1": "c2", "q3": ["c6"]}},
        format="json")

    assert QuizResponse.objects.get().customer == ada
    assert balance_get(customer=ada)["balance"] == 50


def test_wrong_quiz_answers_are_named(storefront, skin_quiz):
    response = widget(storefront).post("/api/v1/storefront/quizzes/skin/responses/", {
        "answers": {"q1": "nope"}}, format="json")

    assert response.status_code == 400
    assert "q1" in response.json()["error"]["fields"]


def test_a_referral_link_on_a_shop_page_records_the_click(storefront):
    code = ReferralCodeFactory(code="ADA7")

    response = widget(storefront).post("/api/v1/storefront/referral-clicks/", {"code": "ada7"},
                                       format="json")

    assert response.status_code == 201
    assert ReferralClick.objects.get(code=code).count == 1


def test_an_unknown_referral_code_is_a_404(storefront):
    response = widget(storefront).post("/api/v1/storefront/referral-clicks/",
                                       {"code": "NOPE"}, format="json")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "referral_code_not_found"


# embed.js ------------------------------------------------------------------------------------


def test_embed_js_is_served_gzipped_with_its_styles_inside(client):
    response = client.get("/embed.js", HTTP_ACCEPT_ENCODING="gzip")
    body = gzip.decompress(response.content).decode()

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Content-Encoding"] == "gzip"
    assert "--fw-accent" in body  # embed.css, inlined
    assert '/*__CSS__*/""' not in body


def test_script_and_styles_stay_within_30_kb_gzipped():
    size = len(gzip.compress(embed_source().encode(), compresslevel=9))
    print(f"embed.js + embed.css gzipped: {size} bytes")

    assert size <= EMBED_BUDGET_GZIP


def test_the_script_carries_no_words_of_its_own():
    """Every word comes from the bootstrap's `strings` (translated on the server)."""
    source = embed_source()
    for english in ("Redeem", "Points available", "Log in", "Copy", "Take the quiz"):
        assert f'"{english}"' not in source


def test_the_styles_use_logical_properties_so_right_to_left_pages_mirror_them():
    import re

    from storefront.views import STATIC

    css = (STATIC / "embed.css").read_text()
    physical = re.findall(r"(?<![-\w])(?:margin|padding|border)-(?:left|right|top|bottom)\b"
                          r"|(?<![-\w])(?:left|right|top|bottom)\s*:|text-align:\s*(?:left|right)",
                          css)
    assert physical == []


def test_the_embedded_quiz_speaks_the_shop_pages_language(storefront, skin_quiz):
    definition = skin_quiz.definition
    skin = definition["questions"][0]
    skin["translations"] = {"fa": {"text": "نوع پوست شما چیست؟"}}
    for choice, persian in zip(skin["choices"], ["چرب", "خشک"], strict=True):
        choice["translations"] = {"fa": {"label": persian}}
    skin_quiz.save()

    quiz = widget(storefront).get("/api/v1/storefront/quizzes/skin/",
                                  HTTP_ACCEPT_LANGUAGE="fa").json()
    picked = widget(storefront).post("/api/v1/storefront/quizzes/skin/responses/", {
        "answers": {"q1": "c2", "q3": ["c6"]}}, format="json", HTTP_ACCEPT_LANGUAGE="fa")

    assert quiz["questions"][0]["text"] == "نوع پوست شما چیست؟"
    assert [c["label"] for c in quiz["questions"][0]["choices"]] == ["چرب", "خشک"]
    assert quiz["questions"][1]["text"] == definition["questions"][1]["text"]  # untranslated
    assert picked.json()["picks"][0]["reasons"][0] == "خشک"
