"""The quiz and the account page in each offered language, on a 390 px phone and a desktop:
no English left (every line of the page is compared with the English rendering of the same
page), `lang` and `dir` right, and the Persian page really mirrored (measured on the rendered
layout, with a screenshot kept in test-results/languages/ to look at). The quiz is the demo
shop's, translated by its staff: its own texts (title, questions, choices, results) must read in
the shopper's language too."""

from decimal import Decimal
from pathlib import Path

import pytest

from loyalty import services
from loyalty.management.commands.seed_demo_loyalty import REWARD_WORDS, TIER_WORDS
from quizzes.management.commands.seed_demo_quizzes import SKIN_QUIZ
from quizzes.management.commands.seed_demo_quizzes import Command as DemoQuizzes
from tests.e2e.conftest import PHONE
from tests.factories import (
    CustomerFactory,
    ProductFactory,
    RewardFactory,
    TierFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "languages"
DESKTOP = {"width": 1280, "height": 900}
PASSWORD = "plum-kettle-orbit-42"
LANGUAGES = [  # what the browser asks for, the page's lang, its direction
    ("en-GB,en;q=0.9", "en", "ltr"),
    ("tr-TR,tr;q=0.9", "tr", "ltr"),
    ("fa-IR,fa;q=0.9", "fa", "rtl"),
    ("zh-TW,zh;q=0.9", "zh-hant", "ltr"),
]
# Words that are the same in every language: the shop's products (mirrored from its catalogue
# in one language), names, e-mail addresses, brand names and the switcher's language names,
# each written in its own language. The quiz's texts, tier and reward names are not among
# them: the shop translates them (here, with the demo shop's own words).
NEUTRAL = {"English", "Türkçe", "فارسی", "繁體中文", "Ada", "ada@example.com", "WhatsApp",
           "Facebook", "X", "Rich balm", "Clarifying gel", "—"}
REWARD = "€5 off your next order"


def translated(words: dict[str, tuple[str, str | None]]) -> dict[str, str]:
    """name_tr, name_fa, name_zh_hant from the demo shop's words for one tier or reward."""
    return {f"name_{language}": name for language, (name, _second) in words.items()}
# Quiz texts a native shop writes the same as the English: Turkish skin types say "Normal".
SAME_WORD = {"tr": {"Normal"}}


def quiz_texts(definition: dict) -> set[str]:
    """The quiz's own English texts as published: what must not be left on a translated page."""
    texts = {definition["title"], definition["intro"], definition["results_heading"],
             definition["results_text"]}
    for question in definition["questions"]:
        texts |= {question["text"], question["help_text"]}
        texts |= {choice["label"] for choice in question["choices"]}
    return {text for text in texts if text}


def attribute_names(definition: dict) -> set[str]:
    """The profile shows each answer under its attribute's name (skin_type: "Skin type")."""
    return {q["attribute"].replace("_", " ").capitalize()
            for q in definition["questions"] if q["attribute"]}


def lines(page) -> list[str]:
    """What a reader sees: the page's visible text, a line each."""
    text = page.evaluate("document.body.innerText")
    return [line.strip() for line in text.splitlines() if line.strip()]


def untranslated(seen: list[str], english: list[str], neutral: set[str]) -> list[str]:
    """Lines of the page that are word for word English ones and are not shop content,
    numbers or names: what a translation missed."""
    return [line for line in seen if line in set(english) and line not in neutral
            and any(ch.isalpha() for ch in line)
            and not any(part in neutral for part in line.split(" · "))]


@pytest.fixture
def shop(db):
    """The demo shop's skin quiz (all four languages), two products and a customer; the words
    that may read the same in every language."""
    quiz = DemoQuizzes().quiz(SKIN_QUIZ)
    definition = quiz.versions.get().definition
    ProductFactory(sku="BALM", name="Rich balm", tags=["dry-skin", "cold"],
                   price=Decimal("20.00"))
    ProductFactory(sku="GEL", name="Clarifying gel", tags=["oily-skin"])
    for position, (name, threshold) in enumerate(
            [("Bronze", "0"), ("Silver", "300"), ("Gold", "1000")], start=1):
        TierFactory(name=name, position=position, threshold=Decimal(threshold),
                    **translated(TIER_WORDS[name]))
    RewardFactory(name=REWARD, cost=200, **translated(REWARD_WORDS[REWARD]))
    user = UserFactory(email="ada@example.com", password=PASSWORD)
    customer = CustomerFactory(email="ada@example.com", first_name="Ada", user=user)
    services.points_award(customer=customer, points=450, key="welcome")
    return {"neutral": NEUTRAL | attribute_names(definition) | {customer.full_name},
            "quiz": quiz_texts(definition)}


def visit(browser, live_server, accept: str, viewport: dict, shots: str = ""):
    """Take the quiz and open the account page as a shopper whose browser asks for
    `accept`; the visible lines of each page, and the layout facts the test measures."""
    context = browser.new_context(viewport=viewport, base_url=live_server.url,
                                  extra_http_headers={"Accept-Language": accept})
    page = context.new_page()
    page.set_default_timeout(15_000)
    seen, layout = {}, {}

    def snap(name):
        seen[name] = lines(page)
        layout[name] = page.evaluate("""() => ({
            lang: document.documentElement.lang, dir: document.documentElement.dir,
            width: document.documentElement.scrollWidth,
            brand: document.querySelector('.brand').getBoundingClientRect().left,
            viewport: window.innerWidth})""")
        if shots:
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / f"{shots}-{name}.png"), full_page=True)

    page.goto(f"/quizzes/{SKIN_QUIZ[0]}/")
    snap("quiz-intro")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_selector(".quiz__form")
    back = page.locator(".quiz__actions [rel=prev]").bounding_box()
    nxt = page.locator(".quiz__actions button[type=submit]").bounding_box()
    layout["quiz-buttons"] = {"back": back["x"], "next": nxt["x"]}
    snap("quiz-question")
    for step in range(8):  # answer each question with its first choice, to the results
        if "/results/" in page.url:
            break
        boxes = page.locator("input[name=answer][type=radio], input[name=answer][type=checkbox]")
        if boxes.count():
            boxes.first.check()
        seen[f"quiz-step-{step}"] = lines(page)
        page.locator(".quiz__actions button[type=submit]").click()
        page.wait_for_load_state()
    assert "/results/" in page.url
    snap("quiz-results")

    page.goto("/account/login/")
    page.locator("input[name=username]").fill("ada@example.com")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/account/")
    bar = page.locator(".tier__progress").bounding_box()
    layout["progress"] = {"x": bar["x"], "width": bar["width"]}
    layout["progress-fill"] = page.evaluate("""() => {
        const bar = document.querySelector('.tier__progress');
        return getComputedStyle(bar).direction; }""")
    snap("account")
    context.close()
    return seen, layout


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize(("accept", "lang", "direction"), LANGUAGES[1:],
                         ids=[code for _a, code, _d in LANGUAGES[1:]])
def test_the_quiz_and_the_account_page_are_fully_translated(browser, live_server, shop,
                                                            accept, lang, direction, viewport):
    name = f"{lang}-{'phone' if viewport is PHONE else 'desktop'}"
    english, english_layout = visit(browser, live_server, LANGUAGES[0][0], viewport)
    seen, layout = visit(browser, live_server, accept, viewport, shots=name)

    neutral = shop["neutral"] | SAME_WORD.get(lang, set())
    for page_name, page_lines in seen.items():
        if page_name.startswith("quiz-step-"):  # every question on the way: its own texts
            left = [line for line in page_lines if line in shop["quiz"] and line not in neutral]
            assert not left, f"English quiz texts on the {lang} {page_name} page: {left}"
            continue
        assert layout[page_name]["lang"] == lang, page_name
        assert layout[page_name]["dir"] == direction, page_name
        assert layout[page_name]["width"] <= viewport["width"], f"{page_name} scrolls sideways"
        left = untranslated(page_lines, english[page_name], neutral)
        assert not left, f"English left on the {lang} {page_name} page: {left}"
        assert page_lines != english[page_name]
    english_quiz = {line for name, page_lines in english.items() if name.startswith("quiz")
                    for line in page_lines} & shop["quiz"]
    assert len(english_quiz) >= 10  # the English run did read the quiz's own texts
    asked = [name for name in seen if name.startswith("quiz-step-")]
    assert len(asked) == len([n for n in english if n.startswith("quiz-step-")]) >= 4

    if direction == "rtl":  # mirrored: measured on the rendered page, not the attribute
        assert english_layout["quiz-buttons"]["back"] < english_layout["quiz-buttons"]["next"]
        assert layout["quiz-buttons"]["back"] > layout["quiz-buttons"]["next"]
        assert english_layout["account"]["brand"] < viewport["width"] / 2
        assert layout["account"]["brand"] > viewport["width"] / 2
        assert layout["progress-fill"] == "rtl"
    else:
        assert layout["quiz-buttons"]["back"] < layout["quiz-buttons"]["next"]
