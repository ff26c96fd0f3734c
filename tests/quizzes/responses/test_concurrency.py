"""Races on PostgreSQL with real threads: a quiz's points and profile answers land once."""

import pytest

from customers.models import Activity
from loyalty.selectors import balance_get
from quizzes.errors import ResponseCompleted
from quizzes.models import QuizResponse
from quizzes.responses import services as rs
from tests.conftest import at_once
from tests.factories import ActivityRuleFactory, CustomerFactory, QuizVersionFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_attaching_the_same_responses_from_many_threads_awards_points_once():
    ActivityRuleFactory(points=50)
    version = QuizVersionFactory()
    responses = [
        rs.quiz_response_submit(version=version, raw_answers={
            "q1": "c2", "q3": ["c6"], "q4": "mo@example.com"})
        for _ in range(2)
    ]
    assert all(r.customer is None for r in responses)
    customer = CustomerFactory(email="mo@example.com")

    at_once(6, lambda i: rs.quiz_responses_attach(customer=customer))

    assert QuizResponse.objects.filter(customer=customer, synced_at__isnull=False).count() == 2
    assert Activity.objects.filter(customer=customer, kind="quiz_completed").count() == 2
    assert balance_get(customer=customer)["balance"] == 100
    assert customer.attributes.filter(key="skin_type").count() == 2


def test_the_last_answer_sent_twice_at_once_completes_the_response_once():
    ActivityRuleFactory(points=50)
    customer = CustomerFactory()
    response = rs.quiz_response_start(version=QuizVersionFactory(), customer=customer)
    response = rs.quiz_response_answer(response=response, question_key="q1", raw="c2")
    response = rs.quiz_response_answer(response=response, question_key="q3", raw=["c6"])

    results = at_once(4, lambda i: rs.quiz_response_answer(
        response=response, question_key="q4", raw=""))

    completed = [r for r in results if isinstance(r, QuizResponse)]
    refused = [r for r in results if isinstance(r, ResponseCompleted)]
    assert (len(completed), len(refused)) == (1, 3)
    assert balance_get(customer=customer)["balance"] == 50
    assert customer.attributes.count() == 2
