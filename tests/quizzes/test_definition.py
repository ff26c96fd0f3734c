"""The published definition read as dataclasses: checks, the shopper's path, answer checks."""

import datetime as dt

import pytest

from customers.selectors import attributes_latest
from quizzes import definition as qdef
from quizzes.errors import InvalidAnswers, InvalidDefinition
from quizzes.responses import services as rs
from tests.factories import CustomerFactory, QuizVersionFactory, skin_quiz_definition


def test_a_definition_reads_as_dataclasses():
    quiz = qdef.definition_parse(skin_quiz_definition())
    assert quiz.first_question == "q1" and quiz.recommend_count == 3
    q1 = quiz.question("q1")
    assert q1.choice("c2").next == "q3"
    assert q1.choice("c1").tag_weights == {"oily-skin": 3}
    assert quiz.question("q3").choice("c7").excluded_tags == frozenset({"fragrance"})


@pytest.mark.parametrize(("change", "problem"), [
    (lambda d: d["questions"][1].update(key="q1"), "question keys repeat"),
    (lambda d: d["questions"][0].update(kind="essay"), "q1 has an unknown kind"),
    (lambda d: d["questions"][0]["choices"][0].update(next="q9"),
     "q1 leads to an unknown question"),
    (lambda d: d.update(first_question="q9"), "the first question is unknown"),
    (lambda d: d["questions"][0].pop("key"), "malformed"),
])
def test_a_broken_definition_says_what_is_wrong(change, problem):
    definition = skin_quiz_definition()
    change(definition)
    with pytest.raises(InvalidDefinition) as exc:
        qdef.definition_parse(definition)
    assert problem in exc.value.message


def test_the_path_follows_the_branches_and_stops_at_the_first_unanswered_question():
    quiz = qdef.definition_parse(skin_quiz_definition())
    oily = {"q1": qdef.Answer(choice_keys=("c1",))}
    assert qdef.path_walk(quiz, oily) == (["q1"], "q2")
    dry = {"q1": qdef.Answer(choice_keys=("c2",)), "q3": qdef.Answer(choice_keys=("c6",)),
           "q4": qdef.Answer()}
    assert qdef.path_walk(quiz, dry) == (["q1", "q3", "q4"], None)


def test_a_choice_can_end_the_quiz():
    definition = skin_quiz_definition()
    definition["questions"][0]["choices"][0]["next"] = "end"
    quiz = qdef.definition_parse(definition)
    assert qdef.path_walk(quiz, {"q1": qdef.Answer(choice_keys=("c1",))}) == (["q1"], None)


def test_an_optional_question_can_be_skipped_and_a_multiple_answer_keeps_question_order():
    quiz = qdef.definition_parse(skin_quiz_definition())
    assert qdef.answer_clean(quiz.question("q4"), "") == qdef.Answer()
    assert qdef.answer_clean(quiz.question("q3"), ["c7", "c5"]).choice_keys == ("c5", "c7")


@pytest.mark.django_db
def test_scale_text_and_birthday_answers_reach_the_profile():
    definition = skin_quiz_definition()
    definition["questions"] = [
        {"key": "s", "text": "How sensitive?", "kind": "scale", "attribute": "sensitivity",
         "next": "t"},
        {"key": "t", "text": "Anything else?", "kind": "text", "required": False,
         "attribute": "notes", "next": "b"},
        {"key": "b", "text": "Birthday?", "kind": "birthday", "attribute": "", "next": None},
    ]
    definition["first_question"] = "s"
    customer = CustomerFactory(birthday=None)
    rs.quiz_response_submit(version=QuizVersionFactory(definition=definition), customer=customer,
                            raw_answers={"s": 4, "t": "  loves citrus ", "b": "1990-05-17"})
    answers = attributes_latest(customer=customer)
    assert (answers["sensitivity"].value, answers["notes"].value) == ("4", "loves citrus")
    customer.refresh_from_db()
    assert customer.birthday == dt.date(1990, 5, 17)


def test_a_choice_key_of_the_wrong_type_is_refused():
    quiz = qdef.definition_parse(skin_quiz_definition())
    with pytest.raises(InvalidAnswers) as exc:
        qdef.answer_clean(quiz.question("q1"), {"c1": True})
    assert exc.value.code == "invalid_answer"
