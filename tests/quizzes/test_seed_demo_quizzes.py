"""The demo quizzes: built on the admin models, published, with a history to analyse."""

import pytest
from django.core.management import call_command

from quizzes import selectors, services
from quizzes.models import Choice, ChoiceWeight, Product, QuizAnswer, QuizResponse, QuizVersion

pytestmark = pytest.mark.django_db


def counts():
    return [m.objects.count() for m in (Product, Choice, ChoiceWeight, QuizVersion,
                                        QuizResponse, QuizAnswer)]


def test_the_demo_has_two_published_quizzes_with_images_and_history_and_runs_once():
    call_command("seed_demo_quizzes")
    first = counts()
    call_command("seed_demo_quizzes")

    assert counts() == first
    products = Product.objects.all()
    assert products.count() == 14 and all(p.image and p.thumbnail and p.tags for p in products)
    versions = {v.quiz.slug: v for v in QuizVersion.objects.select_related("quiz")}
    assert set(versions) == {"skin-routine", "sun-care"}
    skin = versions["skin-routine"].definition
    assert any(c["next"] for q in skin["questions"] for c in q["choices"])  # it branches
    assert all(c["image"] for c in skin["questions"][0]["choices"])
    for version in versions.values():
        services.quiz_check(quiz=version.quiz)
        funnel = selectors.quiz_funnel(quiz=version.quiz)
        assert funnel.views > funnel.starts > funnel.completions > 0
        assert any(q.stopped for q in funnel.questions)
