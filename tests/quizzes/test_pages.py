"""The shopper's quiz pages: start, one question per screen, back, resume, results, preview."""

import re
from decimal import Decimal

import pytest
from django.core import mail
from django.test import TestCase

from customers.selectors import attributes_latest
from loyalty.selectors import balance_get
from quizzes.models import Product, QuizResponse, QuizViewDay
from quizzes.responses import services as rs
from tests.factories import (
    ActivityRuleFactory,
    ChoiceFactory,
    ChoiceWeightFactory,
    CustomerFactory,
    ProductFactory,
    QuestionFactory,
    QuizFactory,
    QuizVersionFactory,
    TierFactory,
    UserFactory,
    skin_quiz_definition,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def version():
    ProductFactory(sku="GEL", name="Clarifying gel", tags=["oily-skin", "acne"],
                   price=Decimal("12.00"))
    ProductFactory(sku="BALM", name="Rich balm", tags=["dry-skin", "cold"])
    return QuizVersionFactory(quiz__slug="skin")


def start(client):
    return client.post("/quizzes/skin/start/")


def test_intro_counts_a_view_and_starts_at_the_first_question(client, version):
    page = client.get("/quizzes/skin/")
    assert page.status_code == 200
    assert "Find your routine" in page.content.decode()
    assert QuizViewDay.objects.get().views == 1
    assert start(client)["Location"] == "/quizzes/skin/q/q1/"


def test_an_unknown_or_unpublished_quiz_is_not_found(client, version):
    assert client.get("/quizzes/nope/").status_code == 404
    version.quiz.status = "draft"
    version.quiz.save()
    assert client.get("/quizzes/skin/").status_code == 404


def test_a_question_page_is_a_labelled_form_with_progress_and_back(client, version):
    start(client)
    page = client.get("/quizzes/skin/q/q1/").content.decode()
    assert "<legend>" in page and "What&#x27;s your skin type?" in page
    assert '<progress id="quiz-progress" max="4" value="1">' in page
    assert 'type="radio" name="answer" value="c1"' in page
    assert 'href="/quizzes/skin/"' in page


def test_the_dry_branch_goes_to_the_climate_and_back_returns(client, version):
    start(client)
    assert client.post("/quizzes/skin/q/q1/", {"answer": "c2"})["Location"] == \
        "/quizzes/skin/q/q3/"
    page = client.get("/quizzes/skin/q/q3/").content.decode()
    assert '<progress id="quiz-progress" max="3" value="2">' in page
    assert 'href="/quizzes/skin/q/q1/"' in page
    back = client.get("/quizzes/skin/q/q1/").content.decode()
    assert 'value="c2" checked' in back
    assert client.get("/quizzes/skin/q/q2/")["Location"] == "/quizzes/skin/q/q3/"


def test_a_bad_answer_shows_the_reason_on_the_page(client, version):
    start(client)
    client.post("/quizzes/skin/q/q1/", {"answer": "c2"})
    page = client.post("/quizzes/skin/q/q3/", {"answer": ["c5", "c6", "c7"]})
    assert page.status_code == 400
    assert "Choose at most 2." in page.content.decode()
    assert 'role="alert"' in page.content.decode()


def test_coming_back_resumes_where_the_shopper_was(client, version):
    start(client)
    client.post("/quizzes/skin/q/q1/", {"answer": "c1"})
    page = client.get("/quizzes/skin/").content.decode()
    assert "Continue where you left off" in page
    assert 'href="/quizzes/skin/q/q2/"' in page


def test_results_show_products_reasons_and_the_points_to_keep(client, version):
    ActivityRuleFactory(points=50)
    start(client)
    client.post("/quizzes/skin/q/q1/", {"answer": "c1"})
    client.post("/quizzes/skin/q/q2/", {"answer": "c3"})
    client.post("/quizzes/skin/q/q3/", {"answer": ["c5"]})
    assert client.post("/quizzes/skin/q/q4/", {"answer": ""})["Location"] == \
        "/quizzes/skin/results/"
    page = client.get("/quizzes/skin/results/").content.decode()
    assert "Clarifying gel" in page and "€12" in page
    assert "Because you said: Oily, Often" in page
    assert "https://shop.example.com/products/gel" in page
    assert "Create an account to keep your 50 points" in page
    assert "Rich balm" not in page


def test_giving_an_email_with_consent_puts_the_answers_on_the_profile(client, version):
    ActivityRuleFactory(points=50)
    start(client)
    client.post("/quizzes/skin/q/q1/", {"answer": "c2"})
    client.post("/quizzes/skin/q/q3/", {"answer": ["c6"]})
    client.post("/quizzes/skin/q/q4/", {"answer": "kim@example.com", "consent": "on"})
    response = QuizResponse.objects.get()
    assert response.customer.email == "kim@example.com"
    assert attributes_latest(customer=response.customer)["skin_type"].value == "dry"
    page = client.get("/quizzes/skin/results/").content.decode()
    assert "You earned 50 points" in page
    assert balance_get(customer=response.customer)["balance"] == 50


def test_an_anonymous_shopper_who_signs_up_keeps_the_quiz(client, version):
    ActivityRuleFactory(points=50)
    start(client)
    client.post("/quizzes/skin/q/q1/", {"answer": "c2"})
    client.post("/quizzes/skin/q/q3/", {"answer": ["c6"]})
    client.post("/quizzes/skin/q/q4/", {"answer": ""})
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post("/account/signup/", {
            "email": "lee@example.com", "first_name": "Lee", "last_name": "",
            "password1": "a-long-passw0rd!", "password2": "a-long-passw0rd!",
        })
    # the link in the confirmation email, opened in the same browser
    client.get(re.search(r"https?://[^/\s]+(/account/signup/confirm/\S+/)",
                         mail.outbox[-1].body).group(1))
    response = QuizResponse.objects.get()
    assert response.customer is not None and response.customer.email == "lee@example.com"
    assert balance_get(customer=response.customer)["balance"] == 50
    account = client.get("/account/").content.decode()
    assert "Recommended for you" in account and "Rich balm" in account


def test_a_signed_in_customer_starts_as_themselves(client, version):
    customer = CustomerFactory(user=UserFactory())
    client.force_login(customer.user)
    start(client)
    assert QuizResponse.objects.get().customer == customer


def test_preview_shows_the_draft_to_staff_and_saves_nothing(client, version):
    draft = QuizFactory(slug="draft-quiz", title="Draft quiz", status="draft")
    question = QuestionFactory(quiz=draft, text="Sunscreen every day?", attribute="spf")
    yes = ChoiceFactory(question=question, label="Yes please", value="yes")
    ChoiceWeightFactory(choice=yes, tag="dry-skin", weight=2)
    assert client.get("/quizzes/draft-quiz/preview/").status_code == 302
    assert client.get("/quizzes/draft-quiz/").status_code == 404

    client.force_login(UserFactory(is_staff=True))
    intro = client.get("/quizzes/draft-quiz/preview/").content.decode()
    assert "Nothing is saved" in intro and "Draft quiz" in intro
    first = client.post("/quizzes/draft-quiz/preview/start/")["Location"]
    assert "Sunscreen every day?" in client.get(first).content.decode()
    assert client.post(first, {"answer": f"c{yes.pk}"})["Location"] == \
        "/quizzes/draft-quiz/preview/results/"
    results = client.get("/quizzes/draft-quiz/preview/results/").content.decode()
    assert "Rich balm" in results and "Because you said: Yes please" in results
    assert not QuizResponse.objects.exists()


def test_staff_read_a_response_and_make_a_product_vip_only(admin_client, version):
    response = rs.quiz_response_submit(version=version,
                                       raw_answers={"q1": "c2", "q3": ["c6"]})
    listing = admin_client.get("/admin/quizzes/quizresponse/").content.decode()
    assert "Completed" in listing
    page = admin_client.get(f"/admin/quizzes/quizresponse/{response.pk}/change/")
    assert page.status_code == 200 and "q3" in page.content.decode()

    gold = TierFactory(name="Gold", position=2)
    balm = Product.objects.get(sku="BALM")
    form = admin_client.get(f"/admin/quizzes/product/{balm.pk}/change/")
    assert 'name="min_tier"' in form.content.decode()
    admin_client.post(f"/admin/quizzes/product/{balm.pk}/change/", {
        "name": balm.name, "url": balm.url, "price": "19.90", "currency": "EUR",
        "tags": "dry-skin, cold", "in_stock": "on", "active": "on", "min_tier": gold.pk,
    })
    balm.refresh_from_db()
    assert balm.min_tier == gold


def test_a_quiz_that_cannot_be_taken_says_why(client, api):
    broken = skin_quiz_definition(slug="broken")
    broken["questions"][0]["next"] = "q-deleted"
    QuizVersionFactory(quiz__slug="broken", definition=broken)
    page = client.get("/quizzes/broken/")
    assert page.status_code == 400
    assert "leads to an unknown question" in page.content.decode()
    assert api.get("/api/v1/quizzes/broken/").json()["error"]["code"] == "invalid_definition"
