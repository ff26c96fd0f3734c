"""The demo quizzes: built on the admin models, published, with a history to analyse."""

import pytest
from django.core.management import call_command

from quizzes import selectors, services
from quizzes.models import (
    Choice,
    ChoiceWeight,
    Product,
    Question,
    Quiz,
    QuizAnswer,
    QuizResponse,
    QuizVersion,
)
from quizzes.responses.selectors import quiz_definition

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


def test_the_demo_quizzes_speak_all_four_languages():
    call_command("seed_demo_quizzes")

    for version in QuizVersion.objects.select_related("quiz"):
        definition = quiz_definition(version)
        for language in ("tr", "fa", "zh-hant"):
            shown = quiz_definition(version, language=language)
            assert shown.title != definition.title and shown.intro != definition.intro
            for question, source in zip(shown.questions, definition.questions, strict=True):
                assert language in source.translations, (language, source.text)
                assert question.text != source.text
                labels = [choice.label for choice in question.choices]
                assert all(language in c.translations for c in source.choices), labels
    skin = quiz_definition(QuizVersion.objects.get(quiz__slug="skin-routine"), language="zh-hant")
    assert [c.label for c in skin.questions[0].choices][:2] == ["乾性肌", "油性肌"]
    assert [c.label for c in skin.questions[2].choices][:2] == ["潮濕", "乾燥"]  # a dry climate


def test_a_demo_quiz_seeded_before_translations_gets_them_once_and_staff_edits_stay():
    call_command("seed_demo_quizzes")
    quiz = Quiz.objects.get(slug="sun-care")
    Quiz.objects.filter(pk=quiz.pk).update(title_tr=None, intro_tr="Kendi girişimiz")
    Question.objects.filter(quiz=quiz).update(text_fa=None)
    Choice.objects.filter(question__quiz=quiz).update(label_zh_hant="")

    call_command("seed_demo_quizzes")
    latest = quiz.versions.order_by("-number").first()
    call_command("seed_demo_quizzes")

    assert quiz.versions.order_by("-number").first() == latest and latest.number == 2
    tr = quiz_definition(latest, language="tr")
    assert (tr.title, tr.intro) == ("Size hangi güneş kremi uygun?", "Kendi girişimiz")
    fa = quiz_definition(latest, language="fa")
    assert fa.questions[0].text == "چه مقدار از روز را بیرون می‌گذرانید؟"
    zh = quiz_definition(latest, language="zh-hant")
    assert zh.questions[1].choices[1].label == "不會"
