"""The quiz API for headless storefronts."""

from decimal import Decimal

import pytest

from customers.selectors import attributes_latest
from loyalty.selectors import balance_get
from quizzes.models import QuizResponse
from tests.factories import (
    ActivityRuleFactory,
    CustomerFactory,
    ProductFactory,
    QuizFactory,
    QuizVersionFactory,
    skin_quiz_definition,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/quizzes/skin/responses/"


@pytest.fixture
def version():
    ProductFactory(sku="GEL", name="Clarifying gel", tags=["oily-skin", "acne"],
                   price=Decimal("12.00"))
    ProductFactory(sku="BALM", name="Rich balm", tags=["dry-skin", "cold"],
                   price=Decimal("20.00"))
    return QuizVersionFactory(quiz__slug="skin")


def post(api, body, url=URL):
    return api.post(url, body, format="json")


def test_the_list_shows_published_quizzes_at_their_latest_version(api, version):
    QuizVersionFactory(quiz=version.quiz, number=version.number + 1)
    QuizFactory(slug="draft", status="draft")
    body = api.get("/api/v1/quizzes/").json()
    assert [(q["slug"], q["version"], q["question_count"]) for q in body] == [
        ("skin", version.number + 1, 4)]


def test_the_detail_shows_questions_choices_and_branching(api, version):
    body = api.get("/api/v1/quizzes/skin/").json()
    assert body["first_question"] == "q1"
    q1 = body["questions"][0]
    assert q1["kind"] == "single" and q1["next"] == "q2"
    assert [(c["key"], c["label"], c["next"]) for c in q1["choices"]] == [
        ("c1", "Oily", None), ("c2", "Dry", "q3")]
    assert "tag_weights" not in q1["choices"][0]


def test_the_api_needs_a_key(anon_api, version):
    response = anon_api.get("/api/v1/quizzes/")
    assert response.status_code in (401, 403)
    assert "error" in response.json()


def test_an_unknown_quiz_is_a_404(api, version):
    response = post(api, {"answers": {}}, url="/api/v1/quizzes/nope/responses/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "quiz_not_found"


def test_all_answers_at_once_return_the_recommendations(api, version):
    ActivityRuleFactory(points=50)
    response = post(api, {"answers": {"q1": "c2", "q3": ["c6"], "q4": ""}})
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "completed" and body["next_question"] is None
    assert [(r["sku"], r["price"], r["reasons"]) for r in body["recommendations"]] == [
        ("BALM", "20.00", ["Dry", "Cold climate"])]
    assert body["points"] == 50 and body["points_earned"] is False
    assert body["answers"] == {"q1": ["c2"], "q3": ["c6"], "q4": ""}


@pytest.mark.parametrize(("answers", "code", "fields"), [
    ({"q1": "c9", "q2": "c3", "q3": ["c5"]}, "unknown_choice", {"q1"}),
    ({"q1": "c2", "q2": "c3", "q3": ["c5"]}, "not_on_path", {"q2"}),
    ({"q1": "c1", "q3": ["c5"]}, "answer_required", {"q2"}),
    ({"q1": "c1", "q2": "c3", "q3": ["c5", "c6", "c7"]}, "too_many_choices", {"q3"}),
    ({"q1": "c2", "q3": ["c5"], "q4": "not-an-email"}, "invalid_email", {"q4"}),
    ({"q1": "c2", "q3": ["c5"], "zz": "c1"}, "unknown_question", {"zz"}),
    ({"q1": "c9", "q2": "c3", "q3": ["c5", "c6", "c7"]}, "invalid_answers", {"q1", "q3"}),
])
def test_bad_answers_say_which_question_and_why(api, version, answers, code, fields):
    response = post(api, {"answers": answers})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code
    assert set(error["fields"]) == fields
    assert not QuizResponse.objects.filter(status="completed").exists()


def test_malformed_input_is_a_400_in_the_shared_shape(api, version):
    response = post(api, {"answers": "q1=c1"})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"answers": response.json()["error"]["fields"]
                                                  ["answers"]}


def test_step_by_step_follows_the_branch_and_keeps_the_version(api, version):
    ActivityRuleFactory(points=50)
    customer = CustomerFactory()
    first = post(api, {"answers": {"q1": "c1"}, "partial": True, "customer_id": customer.pk})
    assert first.status_code == 201
    body = first.json()
    assert (body["status"], body["next_question"]) == ("in_progress", "q2")
    QuizVersionFactory(quiz=version.quiz, number=version.number + 1,
                       definition=skin_quiz_definition(slug="skin", questions=[]))

    second = post(api, {"response": body["id"], "answers": {"q2": "c3", "q3": ["c5"]}})
    assert second.status_code == 200
    assert second.json()["next_question"] == "q4"
    done = post(api, {"response": body["id"], "answers": {"q4": ""}}).json()
    assert done["status"] == "completed" and done["version"] == version.number
    assert done["recommendations"][0]["sku"] == "GEL"
    assert done["points"] == 50 and done["points_earned"] is True
    assert balance_get(customer=customer)["balance"] == 50
    assert attributes_latest(customer=customer)["breakouts"].value == "often"

    again = post(api, {"response": body["id"], "answers": {"q1": "c2"}})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "response_completed"


def test_a_step_off_the_path_names_the_question(api, version):
    body = post(api, {"answers": {"q1": "c2"}, "partial": True}).json()
    response = post(api, {"response": body["id"], "answers": {"q2": "c3"}})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "not_on_path"
    assert set(response.json()["error"]["fields"]) == {"q2"}


def test_an_unknown_customer_or_response_is_a_404(api, version):
    assert post(api, {"answers": {}, "customer_id": 999}).status_code == 404
    assert post(api, {"answers": {}, "response": 999}).json()["error"]["code"] == \
        "response_not_found"


def test_the_schema_documents_the_quiz_api(api, admin_client):
    schema = admin_client.get("/api/schema/").content.decode()
    assert "/api/v1/quizzes/{slug}/responses/" in schema
    assert "quiz_response_create" in schema
