"""A shopper takes the skin quiz on a phone: through a branch to the results, back, a reload that
resumes, an email with consent, and the answers on their profile once they join."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.e2e.test_account import (
    PASSWORD,
    assert_every_input_is_labelled,
    assert_no_horizontal_scroll,
    open_signup_link,
)
from tests.factories import ActivityRuleFactory, ProductFactory, QuizVersionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_shopper_takes_the_quiz_and_finds_the_answers_on_their_profile(page):
    ActivityRuleFactory(points=50)
    ProductFactory(sku="BALM", name="Rich balm", tags=["dry-skin", "cold"],
                   price=Decimal("20.00"))
    ProductFactory(sku="GEL", name="Clarifying gel", tags=["oily-skin"])
    QuizVersionFactory(quiz__slug="skin")

    page.goto("/quizzes/skin/")
    expect(page.get_by_role("heading", name="Find your routine")).to_be_visible()
    assert_no_horizontal_scroll(page)
    page.get_by_role("button", name="Start the quiz").click()

    expect(page.get_by_role("group", name="What's your skin type?")).to_be_visible()
    expect(page.get_by_text("Question 1 of 4")).to_be_visible()
    assert_every_input_is_labelled(page)
    assert_no_horizontal_scroll(page)
    page.get_by_label("Dry").check()
    page.get_by_role("button", name="Next").click()

    # Dry skin skips the breakout question.
    expect(page.get_by_role("group", name="Where do you live?")).to_be_visible()
    expect(page.get_by_text("Question 2 of 3")).to_be_visible()
    page.get_by_role("link", name="Back").click()
    expect(page.get_by_label("Dry")).to_be_checked()
    page.get_by_role("button", name="Next").click()

    # Keyboard only: tab to a box, tick it with the space bar, submit with Enter.
    page.get_by_label("Cold climate").focus()
    page.keyboard.press("Space")
    expect(page.get_by_label("Cold climate")).to_be_checked()
    page.get_by_role("button", name="Next").press("Enter")

    expect(page.get_by_role("heading", name="Where shall we send your routine?")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Where shall we send your routine?")).to_be_visible()
    page.goto("/quizzes/skin/")
    page.get_by_role("link", name="Continue where you left off").click()
    expect(page.get_by_label("Your email address (optional)")).to_be_visible()
    expect(page.get_by_label("Yes, send me offers and news by email.", exact=False)) \
        .not_to_be_checked()
    assert_every_input_is_labelled(page)
    page.get_by_label("Your email address (optional)").fill("june@example.com")
    page.get_by_label("Yes, send me offers and news by email.", exact=False).check()
    page.get_by_role("button", name="See my results").click()

    expect(page.get_by_role("heading", name="Your routine")).to_be_visible()
    expect(page.get_by_role("link", name="Rich balm")).to_have_attribute(
        "href", "https://shop.example.com/products/balm")
    expect(page.get_by_text("Because you said: Dry, Cold climate")).to_be_visible()
    expect(page.get_by_text("You earned 50 points for taking the quiz.")).to_be_visible()
    expect(page.get_by_role("link", name="Clarifying gel")).to_have_count(0)
    assert_no_horizontal_scroll(page)

    page.goto("/account/signup/")
    page.get_by_label("Email address").fill("june@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    open_signup_link(page)

    answers = page.locator("section", has=page.get_by_role("heading", name="What you told us"))
    expect(answers.get_by_text("Skin type")).to_be_visible()
    expect(answers.locator("dd").filter(has_text="dry")).to_contain_text("Quiz")
    expect(answers.locator("dd").filter(has_text="cold")).to_contain_text("Quiz")
    panel = page.locator("section", has=page.get_by_role("heading", name="Recommended for you"))
    expect(panel.get_by_role("link", name="Rich balm")).to_be_visible()
