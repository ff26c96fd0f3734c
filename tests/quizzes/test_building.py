"""Building a quiz: the rules checked on save and publish, the definition, versions,
duplicating."""

import pytest

from quizzes import services
from quizzes.errors import InvalidQuiz
from quizzes.models import Question, Quiz, QuizVersion
from tests.factories import (
    ChoiceFactory,
    ChoiceWeightFactory,
    ProductFactory,
    QuestionFactory,
    QuizFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def skin_quiz():
    """Skin type (branching: sensitive skin gets a fragrance question), climate, email."""
    quiz = QuizFactory(slug="skin", title="Skin", recommend_count=2)
    skin = QuestionFactory(quiz=quiz, position=1, text="Skin type?", attribute="skin_type")
    fragrance = QuestionFactory(quiz=quiz, position=2, text="Fragrance?", next="question")
    climate = QuestionFactory(quiz=quiz, position=3, text="Climate?", kind="scale")
    email = QuestionFactory(quiz=quiz, position=4, text="Email?", kind="email",
                            required=False)
    oily = ChoiceFactory(question=skin, position=1, label="Oily", value="oily",
                         next="question", next_question=climate)
    sensitive = ChoiceFactory(question=skin, position=2, label="Sensitive", value="sensitive")
    ChoiceWeightFactory(choice=oily, tag="oily-skin", weight=3)
    ChoiceWeightFactory(choice=oily, tag="rich", weight=-2)
    ChoiceWeightFactory(choice=sensitive, tag="", product=ProductFactory(sku="SER-HA-30"),
                        weight=5)
    ChoiceFactory(question=fragrance, position=1, label="Fragrance-free only", value="",
                  excluded_tags=["fragrance"])
    ChoiceFactory(question=fragrance, position=2, label="Don't mind", value="", next="end")
    fragrance.next_question = climate
    fragrance.save()
    return quiz, skin, fragrance, climate, email


def test_the_definition_follows_the_documented_shape():
    quiz, skin, fragrance, climate, email = skin_quiz()
    definition = services.quiz_definition_build(quiz=quiz)

    assert definition["slug"] == "skin"
    assert definition["recommend_count"] == 2
    assert definition["first_question"] == skin.key
    assert [q["key"] for q in definition["questions"]] == [
        skin.key, fragrance.key, climate.key, email.key]
    first = definition["questions"][0]
    assert first["attribute"] == "skin_type"
    assert first["next"] == fragrance.key
    oily, sensitive = first["choices"]
    assert oily["tag_weights"] == {"oily-skin": 3, "rich": -2}
    assert oily["next"] == climate.key
    assert sensitive["product_weights"] == {"SER-HA-30": 5}
    assert sensitive["next"] is None
    frag = definition["questions"][1]
    assert frag["next"] == climate.key
    assert frag["choices"][0]["excluded_tags"] == ["fragrance"]
    assert frag["choices"][1]["next"] == "end"
    assert definition["questions"][2]["choices"] == []
    assert definition["questions"][3]["next"] is None  # the last question ends the quiz


def test_a_sound_quiz_passes_the_check():
    quiz, *_ = skin_quiz()
    services.quiz_check(quiz=quiz)


def problems(quiz) -> dict:
    with pytest.raises(InvalidQuiz) as caught:
        services.quiz_check(quiz=quiz)
    return caught.value.fields


def test_a_branch_back_to_an_earlier_question_is_a_cycle_named_in_the_error():
    quiz, skin, _fragrance, climate, _email = skin_quiz()
    climate.next, climate.next_question = "question", skin
    climate.save()

    fields = problems(quiz)

    assert "loops and never ends" in fields[skin.key]
    assert "“Skin type?” → “Fragrance?” → “Climate?” → “Skin type?”" in fields[skin.key] \
        or "“Skin type?” → “Climate?” → “Skin type?”" in fields[skin.key]


def test_a_choice_branching_to_its_own_question_is_a_cycle():
    quiz, _skin, fragrance, *_ = skin_quiz()
    choice = fragrance.choices.first()
    choice.next, choice.next_question = "question", fragrance
    choice.save()

    assert "loops" in problems(quiz)[fragrance.key]


def test_a_branch_whose_target_was_deleted_is_a_dead_end():
    quiz, skin, fragrance, climate, _email = skin_quiz()
    climate.delete()  # the oily choice and the fragrance question pointed at it

    fields = problems(quiz)

    assert "choice “Oily” branches to another question, but none is picked" in fields[skin.key]
    assert "goes to another question, but none is picked" in fields[fragrance.key]


def test_a_branch_into_another_quiz_is_refused():
    quiz, skin, *_ = skin_quiz()
    elsewhere = QuestionFactory(text="Elsewhere?")
    oily = skin.choices.get(label="Oily")
    oily.next_question = elsewhere
    oily.save()

    assert "another quiz" in problems(quiz)[skin.key]


def test_a_question_no_path_reaches_is_named():
    quiz, skin, fragrance, climate, _email = skin_quiz()
    for choice in skin.choices.all():
        choice.next, choice.next_question = "question", climate
        choice.save()

    assert "“Fragrance?” is never asked" in problems(quiz)[fragrance.key]


def test_choices_need_values_when_the_question_writes_an_attribute():
    quiz, skin, *_ = skin_quiz()
    ChoiceFactory(question=skin, label="Combination", value="  ")

    message = problems(quiz)[skin.key]

    assert "writes the profile attribute skin_type" in message
    assert "choice “Combination” needs a value" in message


@pytest.mark.parametrize(("kind", "choices", "expected"), [
    ("single", 1, "needs at least 2 choices"),
    ("multiple", 0, "needs at least 2 choices"),
    ("scale", 2, "is not a choice question"),
    ("email", 1, "is not a choice question"),
])
def test_kinds_have_what_they_need(kind, choices, expected):
    quiz = QuizFactory()
    question = QuestionFactory(quiz=quiz, kind=kind, text="Which?")
    ChoiceFactory.create_batch(choices, question=question)

    assert expected in problems(quiz)[question.key]


def test_multiple_choice_cannot_allow_more_than_it_has_nor_branch_per_choice():
    quiz = QuizFactory()
    question = QuestionFactory(quiz=quiz, kind="multiple", max_choices=3, text="Concerns?")
    last = QuestionFactory(quiz=quiz, text="Last?")
    ChoiceFactory.create_batch(2, question=last)
    ChoiceFactory(question=question)
    ChoiceFactory(question=question, next="end")

    message = problems(quiz)[question.key]

    assert "allows up to 3 choices but has only 2" in message
    assert "can't branch" in message


def test_an_empty_quiz_cannot_be_published():
    quiz = QuizFactory()

    with pytest.raises(InvalidQuiz) as caught:
        services.quiz_publish(quiz=quiz)

    assert caught.value.fields == {"quiz": "The quiz has no questions yet."}
    assert not QuizVersion.objects.exists()


def test_publishing_freezes_numbered_versions_and_edits_make_a_new_one():
    quiz, skin, *_ = skin_quiz()
    staff = UserFactory(is_staff=True)

    first = services.quiz_publish(quiz=quiz, by=staff)
    skin.text = "What is your skin type?"
    skin.save()
    second = services.quiz_publish(quiz=quiz)

    first.refresh_from_db()
    assert (first.number, second.number) == (1, 2)
    assert first.published_by == staff
    assert first.definition["questions"][0]["text"] == "Skin type?"
    assert second.definition["questions"][0]["text"] == "What is your skin type?"
    assert Quiz.objects.get(pk=quiz.pk).status == Quiz.Status.PUBLISHED


def test_a_broken_draft_publishes_nothing():
    quiz, skin, *_ = skin_quiz()
    services.quiz_publish(quiz=quiz)
    ChoiceFactory(question=skin, label="Dry", value="")

    with pytest.raises(InvalidQuiz):
        services.quiz_publish(quiz=quiz)

    assert list(quiz.versions.values_list("number", flat=True)) == [1]


def test_duplicating_copies_questions_choices_branches_and_weights():
    quiz, skin, _fragrance, _climate, _email = skin_quiz()
    services.quiz_publish(quiz=quiz)

    copy = services.quiz_duplicate(quiz=quiz)
    again = services.quiz_duplicate(quiz=quiz)

    assert (copy.slug, again.slug) == ("skin-copy", "skin-copy-2")
    assert copy.status == Quiz.Status.DRAFT and not copy.versions.exists()
    original = services.quiz_definition_build(quiz=quiz)
    copied = services.quiz_definition_build(quiz=copy)
    # The same quiz, with its own questions: branches point inside the copy.
    expected = _without_keys(original) | {"slug": "skin-copy", "title": "Copy of Skin"}
    assert _without_keys(copied) == expected
    copy_keys = {q.key for q in Question.objects.filter(quiz=copy)}
    oily = copied["questions"][0]["choices"][0]
    assert oily["next"] in copy_keys
    assert skin.choices.count() == 2  # the original is untouched


def _without_keys(definition: dict) -> dict:
    """The definition with question and choice keys replaced by their position."""
    order = {q["key"]: f"#{i}" for i, q in enumerate(definition["questions"])}
    def swap(key):
        return order.get(key, key)
    return {
        **definition,
        "first_question": swap(definition["first_question"]),
        "questions": [
            {**q, "key": swap(q["key"]), "next": swap(q["next"]),
             "choices": [{**c, "key": "", "next": swap(c["next"])} for c in q["choices"]]}
            for q in definition["questions"]
        ],
    }


def test_a_response_keeps_its_version_after_the_quiz_is_edited_and_republished():
    from quizzes.responses import selectors as response_selectors
    from quizzes.responses import services as response_services

    quiz, skin, *_rest = skin_quiz()
    first = services.quiz_publish(quiz=quiz)
    response = response_services.quiz_response_start(version=first)
    oily = skin.choices.get(label="Oily")
    oily.label = "Shiny"
    oily.save()
    ChoiceFactory(question=skin, position=3, label="Normal", value="normal")

    second = services.quiz_publish(quiz=quiz)
    response = response_services.quiz_response_answer(response=response,
                                                      question_key=skin.key, raw=oily.key)

    response.refresh_from_db()
    assert response.version == first
    labels = [c["label"] for c in response.version.definition["questions"][0]["choices"]]
    assert labels == ["Oily", "Sensitive"]
    assert response_selectors.quiz_version_latest(slug=quiz.slug) == second
    assert [c["label"] for c in second.definition["questions"][0]["choices"]] == [
        "Shiny", "Sensitive", "Normal"]
