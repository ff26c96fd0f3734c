"""Quiz analytics on a small example computed by hand: the funnel and the hit rate."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from quizzes import selectors, services
from quizzes.models import QuizAnswer, QuizResponse, QuizViewDay
from tests.conftest import at
from tests.factories import (
    ChoiceFactory,
    CustomerFactory,
    OrderFactory,
    OrderLineFactory,
    QuestionFactory,
    QuizFactory,
    QuizResponseFactory,
)

pytestmark = pytest.mark.django_db
DAY0 = at("2026-10-01T12:00:00Z")


@pytest.fixture
def shop():
    """Six shoppers on a three-question quiz; see each test for what they did."""
    quiz = QuizFactory(slug="skin", title="Skin")
    skin = QuestionFactory(quiz=quiz, position=1, text="Skin type?")
    oily = ChoiceFactory(question=skin, label="Oily")
    dry = ChoiceFactory(question=skin, label="Dry")
    climate = QuestionFactory(quiz=quiz, position=2, text="Humidity?", kind="scale")
    email = QuestionFactory(quiz=quiz, position=3, text="Email?", kind="email",
                            required=False)
    version = services.quiz_publish(quiz=quiz)
    QuizViewDay.objects.create(quiz=quiz, day=dt.date(2026, 10, 1), views=10)
    QuizViewDay.objects.create(quiz=quiz, day=dt.date(2026, 10, 2), views=5)
    ada, bob = CustomerFactory(email="ada@example.com"), CustomerFactory(email="bob@example.com")

    def response(answers, *, current="", customer=None, skus=(), email_given="",
                 consent=False):
        done = not current
        r = QuizResponseFactory(
            version=version, customer=customer, current_question=current,
            status=QuizResponse.Status.COMPLETED if done else QuizResponse.Status.IN_PROGRESS,
            completed_at=DAY0 if done else None, recommended_skus=list(skus),
            email=email_given, consent_given=consent)
        for question, answer in answers:
            QuizAnswer.objects.create(
                response=r, question_key=question.key,
                choice_keys=[answer.key] if hasattr(answer, "key") else [],
                value="" if hasattr(answer, "key") else str(answer))
        return r

    response([(skin, oily), (climate, 4), (email, "ada@example.com")], customer=ada,
             skus=["P1", "P2"], email_given="ada@example.com", consent=True)
    response([(skin, dry), (climate, 2)], customer=bob, skus=["P2"])
    response([(skin, oily), (climate, 4), (email, "cy@example.com")], skus=["P1"],
             email_given="cy@example.com")
    response([(skin, dry)], current=climate.key)
    response([], current=skin.key)
    response([(skin, oily), (climate, 5)], current=skin.key)  # went back to the start
    return {"quiz": quiz, "ada": ada, "bob": bob}


def test_the_funnel(shop):
    funnel = selectors.quiz_funnel(quiz=shop["quiz"])

    assert (funnel.views, funnel.starts, funnel.completions) == (15, 6, 3)
    assert funnel.completion_rate == 0.5
    assert (funnel.emails, funnel.emails_with_consent) == (2, 1)
    skin, climate, email = funnel.questions
    # Skin type: 5 answered; 2 are on it (one came back to it): 6 reached, 2 stopped there.
    assert (skin.text, skin.reached, skin.answered, skin.stopped) == ("Skin type?", 6, 5, 2)
    assert [(a.label, a.count) for a in skin.distribution] == [("Oily", 3), ("Dry", 2)]
    assert skin.distribution[0].share == 0.6
    assert (climate.reached, climate.answered, climate.stopped) == (5, 4, 1)
    assert climate.drop_off_rate == 0.2
    assert [(a.label, a.count) for a in climate.distribution] == [
        ("1", 0), ("2", 1), ("3", 0), ("4", 2), ("5", 1)]
    assert (email.reached, email.answered, email.distribution) == (2, 2, [])


def buy(customer, sku, *, days, quantity=1, price="10.00", status="paid"):
    order = OrderFactory(customer=customer, placed_at=DAY0 + dt.timedelta(days=days),
                         status=status)
    OrderLineFactory(order=order, sku=sku, quantity=quantity, unit_price=Decimal(price))


def test_the_hit_rate_counts_recommended_products_bought_within_30_days(shop):
    ada, bob = shop["ada"], shop["bob"]
    buy(ada, "P1", days=5, quantity=2)  # recommended to Ada, in time: a hit worth 20.00
    buy(ada, "P3", days=6, price="99.00")  # not recommended: no revenue
    buy(ada, "P2", days=-3)  # bought before the quiz: doesn't count
    buy(bob, "P2", days=40)  # too late
    buy(bob, "P2", days=3, status="cancelled")  # cancelled: doesn't count

    hit = selectors.quiz_hit_rate(quiz=shop["quiz"])

    # 3 completers, 2 known (the anonymous one can't be followed), 1 bought.
    assert (hit.completions, hit.followed, hit.hits) == (3, 2, 1)
    assert hit.rate == 0.5
    assert hit.revenue == {"EUR": Decimal("20.00")}


def test_no_completions_is_zero_not_an_error():
    quiz = QuizFactory()
    assert selectors.quiz_hit_rate(quiz=quiz).rate == 0.0
    assert selectors.quiz_funnel(quiz=quiz).completion_rate == 0.0


def test_the_analytics_page_shows_the_numbers_and_a_chart(admin_client, shop):
    buy(shop["ada"], "P1", days=5, quantity=2)

    response = admin_client.get(reverse("admin:quizzes_quiz_analytics",
                                        args=[shop["quiz"].pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in body and 'role="img"' in body
    assert "50%" in body  # completion rate and hit rate
    assert "€20.00" in body or "20.00" in body
    assert "Skin type?" in body and "Oily" in body


def test_the_analytics_cost_the_same_queries_however_many_responses(shop):
    quiz = shop["quiz"]
    buy(shop["ada"], "P1", days=5)

    def cost():
        with CaptureQueriesContext(connection) as queries:
            selectors.quiz_funnel(quiz=quiz)
            selectors.quiz_hit_rate(quiz=quiz)
        return len(queries)

    before = cost()
    version = quiz.versions.get()
    for n in range(10):
        customer = CustomerFactory()
        QuizResponseFactory(version=version, customer=customer, current_question="",
                            status=QuizResponse.Status.COMPLETED, completed_at=DAY0,
                            recommended_skus=["P1"])
        buy(customer, "P1", days=n + 1)

    assert cost() == before
