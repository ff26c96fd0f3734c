"""The quiz builder's admin: pages open, saves are checked, publish and duplicate."""

import pytest
from django.urls import reverse

from quizzes import services
from quizzes.models import Choice, Question, Quiz, QuizVersion
from tests.factories import ChoiceFactory, QuestionFactory, QuizFactory
from tests.quizzes.test_building import skin_quiz

pytestmark = pytest.mark.django_db


def url(model, view, *args):
    return reverse(f"admin:quizzes_{model}_{view}", args=args)


def _blank(value):
    return "" if value is None else value


def quiz_form(quiz) -> dict:
    """The quiz page's POST as staff would send it unchanged (English texts only: the other
    languages' tabs left blank)."""
    questions = list(quiz.questions.order_by("position", "id"))
    data = {
        "title_en": quiz.title, "slug": quiz.slug, "intro_en": quiz.intro,
        "results_heading_en": quiz.results_heading, "results_text_en": quiz.results_text,
        "recommend_count": quiz.recommend_count,
        "questions-TOTAL_FORMS": len(questions), "questions-INITIAL_FORMS": len(questions),
        "questions-MIN_NUM_FORMS": 0, "questions-MAX_NUM_FORMS": 1000,
        "versions-TOTAL_FORMS": 0, "versions-INITIAL_FORMS": 0,
        "versions-MIN_NUM_FORMS": 0, "versions-MAX_NUM_FORMS": 1000,
    }
    for index, question in enumerate(questions):
        prefix = f"questions-{index}-"
        fields = {"id": question.pk, "quiz": quiz.pk, "position": question.position,
                  "text_en": question.text, "kind": question.kind, "attribute": question.attribute,
                  "max_choices": _blank(question.max_choices), "next": question.next,
                  "next_question": _blank(question.next_question_id)}
        if question.required:
            fields["required"] = "on"
        data.update({prefix + name: value for name, value in fields.items()})
    return data


def question_form(question) -> dict:
    choices = list(question.choices.order_by("position", "id"))
    data = {"position": question.position, "text_en": question.text,
            "help_text_en": question.help_text, "kind": question.kind,
            "attribute": question.attribute, "max_choices": _blank(question.max_choices),
            "next": question.next, "next_question": _blank(question.next_question_id),
            "choices-TOTAL_FORMS": len(choices), "choices-INITIAL_FORMS": len(choices),
            "choices-MIN_NUM_FORMS": 0, "choices-MAX_NUM_FORMS": 1000}
    if question.required:
        data["required"] = "on"
    for index, choice in enumerate(choices):
        fields = {"id": choice.pk, "question": question.pk, "position": choice.position,
                  "label_en": choice.label, "value": choice.value,
                  "excluded_tags": ", ".join(choice.excluded_tags),
                  "required_tags": ", ".join(choice.required_tags), "next": choice.next,
                  "next_question": _blank(choice.next_question_id)}
        data.update({f"choices-{index}-{name}": value for name, value in fields.items()})
    return data


def test_the_builder_pages_open(admin_client):
    quiz, skin, *_rest = skin_quiz()
    oily = skin.choices.get(label="Oily")
    for page in (url("quiz", "changelist"), url("quiz", "change", quiz.pk),
                 url("quiz", "add"), url("question", "change", skin.pk),
                 url("choice", "change", oily.pk)):
        assert admin_client.get(page).status_code == 200, page
    body = admin_client.get(url("quiz", "change", quiz.pk)).content.decode()
    assert f'href="/quizzes/{quiz.slug}/preview/"' in body
    assert url("quiz", "grid", quiz.pk) in body


def test_an_unchanged_quiz_saves(admin_client):
    quiz, *_rest = skin_quiz()

    response = admin_client.post(url("quiz", "change", quiz.pk), quiz_form(quiz))

    assert response.status_code == 302


def test_a_loop_made_on_the_quiz_page_is_refused_naming_the_questions(admin_client):
    quiz, skin, _fragrance, climate, _email = skin_quiz()

    data = quiz_form(quiz) | _question_change(quiz, climate, next="question",
                                              next_question=skin.pk)

    response = admin_client.post(url("quiz", "change", quiz.pk), data)

    assert response.status_code == 200
    assert "The quiz loops and never ends: “Skin type?” →" in response.content.decode()
    climate.refresh_from_db()
    assert climate.next == "next"


def _question_change(quiz, question, **fields) -> dict:
    index = list(quiz.questions.order_by("position", "id")).index(question)
    return {f"questions-{index}-{name}": value for name, value in fields.items()}


def test_a_choice_without_a_value_is_refused_on_the_question_page(admin_client):
    _quiz, skin, *_rest = skin_quiz()
    oily = skin.choices.get(label="Oily")

    response = admin_client.post(url("question", "change", skin.pk),
                                 question_form(skin) | _choice_change(skin, oily, value=""))

    assert response.status_code == 200
    assert ("“Skin type?” writes the profile attribute skin_type: choice “Oily” needs a "
            "value.") in response.content.decode()
    assert Choice.objects.get(pk=oily.pk).value == "oily"


def _choice_change(question, choice, **fields) -> dict:
    index = list(question.choices.order_by("position", "id")).index(choice)
    return {f"choices-{index}-{name}": value for name, value in fields.items()}


def test_a_new_choice_question_can_be_saved_before_its_choices_exist(admin_client):
    quiz = QuizFactory()
    first = QuestionFactory(quiz=quiz, position=1, text="First?")
    ChoiceFactory.create_batch(2, question=first)
    data = quiz_form(quiz) | {
        "questions-TOTAL_FORMS": 2, "questions-1-quiz": quiz.pk, "questions-1-position": 2,
        "questions-1-text_en": "Second?", "questions-1-kind": "single", "questions-1-next": "next",
        "questions-1-required": "on",
    }

    response = admin_client.post(url("quiz", "change", quiz.pk), data, follow=True)

    assert response.status_code == 200
    assert Question.objects.filter(quiz=quiz, text="Second?").exists()
    assert "Before it can be published: “Second?” needs at least 2 choices." in \
        response.content.decode()


def test_publishing_asks_first_then_freezes_a_version(admin_client):
    quiz, *_rest = skin_quiz()
    data = {"action": "publish", "_selected_action": [quiz.pk]}

    asked = admin_client.post(url("quiz", "changelist"), data)
    assert asked.status_code == 200
    assert "Publish these quizzes?" in asked.content.decode()
    assert not QuizVersion.objects.exists()

    done = admin_client.post(url("quiz", "changelist"), data | {"post": "yes"}, follow=True)

    assert "version 1 published" in done.content.decode()
    assert quiz.versions.get().published_by.is_superuser


def test_publishing_a_broken_quiz_says_why(admin_client):
    quiz = QuizFactory(title="Empty")

    done = admin_client.post(url("quiz", "changelist"), {
        "action": "publish", "_selected_action": [quiz.pk], "post": "yes"}, follow=True)

    assert "Empty: The quiz can&#x27;t be published: The quiz has no questions yet." in \
        done.content.decode()
    assert not QuizVersion.objects.exists()


def test_duplicating_from_the_list(admin_client):
    quiz, *_rest = skin_quiz()

    admin_client.post(url("quiz", "changelist"),
                      {"action": "duplicate", "_selected_action": [quiz.pk]})

    copy = Quiz.objects.get(slug="skin-copy")
    assert copy.questions.count() == 4
    assert Choice.objects.filter(question__quiz=copy).count() == 4


def test_a_choice_image_that_is_not_an_image_is_refused(admin_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    _quiz, skin, *_rest = skin_quiz()
    data = question_form(skin) | {
        "choices-0-image": SimpleUploadedFile("oily.png", b"not a picture", "image/png")}

    response = admin_client.post(url("question", "change", skin.pk), data)

    assert response.status_code == 200
    assert "Upload a valid image" in response.content.decode()
    assert not skin.choices.get(label="Oily").image


def test_a_choice_image_is_stored_from_its_pixels(admin_client):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    _quiz, skin, *_rest = skin_quiz()
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x010E] = "secret description"
    Image.new("RGB", (60, 40), (200, 30, 30)).save(buffer, format="JPEG", exif=exif)
    data = question_form(skin) | {
        "choices-0-image": SimpleUploadedFile("oily.jpg", buffer.getvalue(), "image/jpeg")}

    response = admin_client.post(url("question", "change", skin.pk), data)

    assert response.status_code == 302
    stored = skin.choices.get(label="Oily").image
    with Image.open(stored.path) as image:
        assert image.size == (60, 40)
        assert not image.getexif()


def test_a_new_quiz_and_its_questions_are_checked_before_anything_is_saved(admin_client):
    data = {
        "title_en": "New", "slug": "new", "recommend_count": 3,
        "questions-TOTAL_FORMS": 1, "questions-INITIAL_FORMS": 0,
        "questions-MIN_NUM_FORMS": 0, "questions-MAX_NUM_FORMS": 1000,
        "versions-TOTAL_FORMS": 0, "versions-INITIAL_FORMS": 0,
        "versions-MIN_NUM_FORMS": 0, "versions-MAX_NUM_FORMS": 1000,
        "questions-0-position": 1, "questions-0-text_en": "Pick several?",
        "questions-0-kind": "scale", "questions-0-next": "next", "questions-0-max_choices": 2,
    }

    response = admin_client.post(url("quiz", "add"), data)

    assert response.status_code == 200
    assert "Only multiple-choice questions have a most number of choices." in \
        response.content.decode()
    assert not Quiz.objects.filter(slug="new").exists()


def test_the_quiz_page_says_whether_the_draft_changed_since_publishing(admin_client):
    quiz, skin, *_rest = skin_quiz()
    services.quiz_publish(quiz=quiz)
    page = url("quiz", "change", quiz.pk)
    assert "Same as the published version 1." in admin_client.get(page).content.decode()

    skin.text = "Your skin type?"
    skin.save()

    assert "Changed since version 1" in admin_client.get(page).content.decode()
