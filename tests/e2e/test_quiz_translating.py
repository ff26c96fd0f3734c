"""Staff translate a quiz in admin: a tab per language on each text (django-modeltranslation),
working under the Content-Security-Policy with every script served by Flywheel itself."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from quizzes import services
from quizzes.management.commands.seed_demo_quizzes import SUN_QUIZ
from quizzes.management.commands.seed_demo_quizzes import Command as DemoQuizzes
from quizzes.models import Quiz
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"
SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "languages"


def test_staff_fix_a_turkish_title_in_its_tab_and_shoppers_read_it_once_published(
        page, live_server):
    UserFactory(email="staff@example.com", password=PASSWORD, is_staff=True, is_superuser=True)
    quiz = DemoQuizzes().quiz(SUN_QUIZ)
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" and "favicon.ico" not in message.location["url"]
            else None)  # admin pages name no favicon: the browser asks for one anyway
    page.on("pageerror", lambda error: problems.append(str(error)))
    outside = []
    page.on("request", lambda request: outside.append(request.url)
            if not request.url.startswith(live_server.url) else None)

    page.goto("/admin/login/")
    page.get_by_label(re.compile("Email address|Username")).fill("staff@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Log in")).click()
    page.goto(f"/admin/quizzes/quiz/{quiz.pk}/change/")

    title_tabs = page.locator(".ui-tabs", has=page.locator("#id_title_tr"))
    expect(title_tabs.locator(".ui-tabs-nav li")).to_have_count(4)
    expect(page.locator("#id_title_tr")).to_be_hidden()  # English shows first
    title_tabs.locator(".ui-tabs-nav a", has_text="tr").click()
    expect(page.locator("#id_title_tr")).to_be_visible()
    page.locator("#id_title_tr").fill("Güneş kreminizi bulun")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_be_visible()
    services.quiz_publish(quiz=Quiz.objects.get(pk=quiz.pk))
    question = quiz.questions.order_by("position").first()
    page.goto(f"/admin/quizzes/question/{question.pk}/change/")  # the choices inline too
    choice_tabs = page.locator(".ui-tabs", has=page.locator("#id_choices-0-label_fa"))
    expect(choice_tabs.locator(".ui-tabs-nav li")).to_have_count(4)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "admin-question-tabs.png"), full_page=True)

    # A page of its own context, closed with it: a connection the browser kept open would keep
    # a live-server thread waiting on it, which would end (and close its database connection)
    # during some later test.
    shopper = page.context.browser.new_page(base_url=live_server.url,
                                            extra_http_headers={"Accept-Language": "tr"})
    try:
        shopper.goto(f"/quizzes/{quiz.slug}/")
        expect(shopper.locator("h1")).to_have_text("Güneş kreminizi bulun")
    finally:
        shopper.close()
    assert problems == [] and outside == []
