"""Quiz texts per language: staff translate the draft in admin, publishing freezes every
language's texts, and shoppers read the quiz in their language, text by text falling back to
English where a translation is blank."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from quizzes import services
from quizzes.models import Choice, Question, Quiz
from quizzes.responses.selectors import quiz_definition
from tests.factories import ProductFactory, QuizVersionFactory

pytestmark = pytest.mark.django_db

TR = {"HTTP_ACCEPT_LANGUAGE": "tr"}


def translated_quiz(slug: str = "cilt") -> Quiz:
    """A quiz staff wrote in English and translated to Turkish (the help text and one label
    left untranslated), then published."""
    quiz = Quiz.objects.create(
        slug=slug, title_en="Find your routine", title_tr="Rutinini bul",
        intro_en="Two quick questions.", intro_tr="İki kısa soru.",
        results_heading_en="Your routine", results_heading_tr="Rutinin",
        results_text_en="Picked for you.", results_text_tr="")
    skin = Question.objects.create(
        quiz=quiz, position=1, text_en="What's your skin type?", text_tr="Cilt tipin ne?",
        help_text_en="Think of midday.", attribute="skin_type")
    Choice.objects.create(question=skin, position=1, label_en="Oily", label_tr="Yağlı",
                          value="oily").weights.create(tag="oily-skin", weight=3)
    Choice.objects.create(question=skin, position=2, label_en="Dry", value="dry")
    climate = Question.objects.create(quiz=quiz, position=2, text_en="Your climate?",
                                      text_tr="İklimin nasıl?")
    Choice.objects.create(question=climate, position=1, label_en="Humid", label_tr="Nemli",
                          value="humid")
    Choice.objects.create(question=climate, position=2, label_en="Cold", label_tr="Soğuk",
                          value="cold")
    services.quiz_publish(quiz=quiz)
    return quiz


def test_the_api_answers_in_turkish_where_a_text_is_translated_and_in_english_where_not(api):
    translated_quiz()

    body = api.get("/api/v1/quizzes/cilt/", **TR).json()

    assert (body["title"], body["intro"], body["results_heading"]) == (
        "Rutinini bul", "İki kısa soru.", "Rutinin")
    assert body["results_text"] == "Picked for you."  # blank in Turkish
    skin, climate = body["questions"]
    assert (skin["text"], skin["help_text"]) == ("Cilt tipin ne?", "Think of midday.")
    assert [c["label"] for c in skin["choices"]] == ["Yağlı", "Dry"]
    assert [c["value"] for c in skin["choices"]] == ["oily", "dry"]  # values stay as they are
    assert climate["text"] == "İklimin nasıl?"
    listed = api.get("/api/v1/quizzes/", **TR).json()
    assert [(q["title"], q["intro"]) for q in listed] == [("Rutinini bul", "İki kısa soru.")]


def test_english_and_a_language_nobody_translated_read_the_english_texts(api):
    translated_quiz()

    for language in ("en", "fa", "zh-Hant", "de"):
        body = api.get("/api/v1/quizzes/cilt/", HTTP_ACCEPT_LANGUAGE=language).json()
        assert body["title"] == "Find your routine", language
        assert [c["label"] for c in body["questions"][0]["choices"]] == ["Oily", "Dry"]


def test_answers_are_stored_as_the_values_and_the_reasons_read_in_turkish(api):
    ProductFactory(sku="GEL", name="Clarifying gel", tags=["oily-skin"], price=Decimal("12"))
    quiz = translated_quiz()
    skin = quiz.questions.get(position=1)
    oily = skin.choices.get(position=1)
    humid = Choice.objects.get(question__quiz=quiz, label_en="Humid")

    response = api.post("/api/v1/quizzes/cilt/responses/",
                        {"answers": {skin.key: oily.key, humid.question.key: humid.key}},
                        format="json", **TR)

    assert response.status_code == 201, response.json()
    (pick,) = response.json()["recommendations"]
    assert (pick["sku"], pick["reasons"]) == ("GEL", ["Yağlı"])
    version = quiz.versions.get()
    assert version.definition["questions"][0]["choices"][0]["label"] == "Oily"


def test_a_version_published_before_a_translation_keeps_what_its_shoppers_saw(api, client):
    quiz = Quiz.objects.create(slug="sun", title_en="Which sunscreen?")
    question = Question.objects.create(quiz=quiz, position=1, text_en="Outdoors a lot?")
    Choice.objects.create(question=question, position=1, label_en="Yes", value="yes")
    Choice.objects.create(question=question, position=2, label_en="No", value="no")
    first = services.quiz_publish(quiz=quiz)
    Quiz.objects.filter(pk=quiz.pk).update(title_tr="Hangi güneş kremi?")
    Question.objects.filter(pk=question.pk).update(text_tr="Çok dışarıda mısın?")

    assert api.get("/api/v1/quizzes/sun/", **TR).json()["title"] == "Which sunscreen?"
    second = services.quiz_publish(quiz=Quiz.objects.get(pk=quiz.pk))

    body = api.get("/api/v1/quizzes/sun/", **TR).json()
    assert (body["version"], body["title"], body["questions"][0]["text"]) == (
        second.number, "Hangi güneş kremi?", "Çok dışarıda mısın?")
    old = quiz_definition(first, language="tr")
    assert (old.title, old.questions[0].text) == ("Which sunscreen?", "Outdoors a lot?")


def test_a_definition_frozen_before_quizzes_had_translations_reads_in_every_language(api):
    QuizVersionFactory(quiz__slug="skin")  # a definition without any "translations"

    body = api.get("/api/v1/quizzes/skin/", HTTP_ACCEPT_LANGUAGE="fa").json()

    assert body["title"] == "Find your routine"
    assert body["questions"][0]["choices"][0]["label"] == "Oily"


def test_the_quiz_pages_speak_the_shoppers_language(client):
    translated_quiz()

    intro = client.get("/quizzes/cilt/", **TR)
    assert "Rutinini bul" in intro.content.decode() and "İki kısa soru." in intro.content.decode()
    start = client.post("/quizzes/cilt/start/", **TR)
    page = client.get(start["Location"], **TR).content.decode()
    assert "Cilt tipin ne?" in page and "Yağlı" in page and "Think of midday." in page
    assert "What&#x27;s your skin type?" not in page


def test_the_draft_state_and_duplicate_keep_every_language(admin_client):
    quiz = translated_quiz()

    copy = services.quiz_duplicate(quiz=quiz)

    assert (copy.title_en, copy.title_tr) == ("Copy of Find your routine", "Rutinini bul kopyası")
    question = copy.questions.get(position=1)
    assert (question.text_tr, question.choices.get(position=1).label_tr) == (
        "Cilt tipin ne?", "Yağlı")
    page = admin_client.get(f"/admin/quizzes/quiz/{quiz.pk}/change/").content.decode()
    assert "Same as the published version 1." in page


def test_staff_enter_each_language_in_tabs_served_from_our_own_static_files(admin_client):
    quiz = translated_quiz()
    question = quiz.questions.get(position=1)

    pages = [admin_client.get(f"/admin/quizzes/quiz/{quiz.pk}/change/"),
             admin_client.get(f"/admin/quizzes/question/{question.pk}/change/")]

    for page in pages:
        html = page.content.decode()
        assert page.status_code == 200
        assert "vendor/jquery-ui/jquery-ui.min.js" in html
        assert "modeltranslation/js/tabbed_translation_fields.js" in html
        assert "googleapis" not in html and "//cdn" not in html
    quiz_html, question_html = (page.content.decode() for page in pages)
    assert 'name="title_tr"' in quiz_html and 'name="title_zh_hant"' in quiz_html
    assert 'name="questions-0-text_fa"' in quiz_html  # the questions inline too
    assert 'name="text_tr"' in question_html and 'name="choices-0-label_tr"' in question_html


def test_completing_in_turkish_costs_the_same_queries_as_in_english(api):
    ProductFactory(sku="GEL", name="Clarifying gel", tags=["oily-skin"], price=Decimal("12"))
    quiz = translated_quiz()
    answers = {question.key: question.choices.order_by("position").first().key
               for question in quiz.questions.all()}
    counts = {}
    for language in ("en", "tr", "en", "tr"):  # the second round: definitions are parsed
        with CaptureQueriesContext(connection) as queries:
            response = api.post("/api/v1/quizzes/cilt/responses/", {"answers": answers},
                                format="json", HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 201
        counts[language] = len(queries)
    assert counts["tr"] == counts["en"]
    assert response.json()["recommendations"][0]["reasons"] == ["Yağlı"]


def test_a_reason_two_questions_share_in_english_reads_as_the_shoppers_answer(api):
    ProductFactory(sku="MIST", name="Hydrating mist", tags=["dehydration"], price=Decimal("9"))
    quiz = Quiz.objects.create(slug="dry", title_en="Dry?")
    skin = Question.objects.create(quiz=quiz, position=1, text_en="Skin?")
    climate = Question.objects.create(quiz=quiz, position=2, text_en="Climate?")
    for question, turkish in ((skin, "Kuru cilt"), (climate, "Kuru hava")):
        dry = Choice.objects.create(question=question, position=1, label_en="Dry",
                                    label_tr=turkish, value="dry")
        Choice.objects.create(question=question, position=2, label_en="Other", value="other")
    climate.choices.get(position=1).weights.create(tag="dehydration", weight=2)
    services.quiz_publish(quiz=quiz)
    answers = {skin.key: skin.choices.get(position=2).key, climate.key: dry.key}

    response = api.post("/api/v1/quizzes/dry/responses/", {"answers": answers},
                        format="json", **TR)

    assert response.json()["recommendations"][0]["reasons"] == ["Kuru hava"]


def test_the_front_page_lists_the_quiz_in_the_shoppers_language(client):
    translated_quiz()

    page = client.get("/", **TR).content.decode()

    assert "Rutinini bul" in page and "İki kısa soru." in page


def test_staff_find_a_quiz_by_its_words_in_any_language(admin_client):
    translated_quiz()

    found = admin_client.get("/admin/quizzes/quiz/", {"q": "Rutinini"}).content.decode()

    assert "/admin/quizzes/quiz/" in found and "cilt" in found
    assert "0 quizzes" not in found and "0 results" not in found
