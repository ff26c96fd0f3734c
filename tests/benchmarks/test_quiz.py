"""Completing a 10-question quiz against a 5,000-product catalog through the API, against its
baseline: the bare DRF endpoint on the same stack (Flywheel's middleware and API-key auth,
one insert and one update). wrk posts every answer at once as an anonymous shopper, who gets
three recommendations back (posted with the shop's API key, as a headless storefront does);
the two are measured alternately. Target: ratio >= 0.4."""

import json
from decimal import Decimal

import requests

from .conftest import manage
from .load import Figure, alternate, record, warm_up, wrk

PRODUCTS = 5000
QUESTIONS = 10
SLUG = "bench-quiz"
TARGET = ">= 0.4"

TAGS = ["oily-skin", "dry-skin", "humid", "cold", "acne", "rich", "light", "fragrance"]


def seed_catalog() -> None:
    """The catalog and the quiz, in the benchmark's database (idempotent)."""
    from quizzes.models import Product, Quiz, QuizVersion

    Product.objects.bulk_create([
        Product(sku=f"BENCH-{i:05d}", name=f"Product {i}", url=f"https://shop.example.com/p/{i}",
                price=Decimal(5 + i % 50), currency="EUR", tags=[TAGS[i % 8], TAGS[i * 3 % 8]])
        for i in range(PRODUCTS)
    ], ignore_conflicts=True)
    questions = [
        {"key": f"q{n}", "text": f"Question {n}", "kind": "single", "required": True,
         "attribute": f"bench_{n}", "next": f"q{n + 1}" if n < QUESTIONS else None,
         "choices": [{"key": f"c{n}{k}", "label": tag, "value": tag,
                      "tag_weights": {tag: 1 + k}} for k, tag in enumerate(TAGS[:4])]}
        for n in range(1, QUESTIONS + 1)
    ]
    quiz, _ = Quiz.objects.get_or_create(slug=SLUG, defaults={"title": "Bench",
                                                              "status": "published"})
    QuizVersion.objects.update_or_create(quiz=quiz, number=1, defaults={"definition": {
        "slug": SLUG, "title": "Bench", "recommend_count": 3, "first_question": "q1",
        "questions": questions}})


def test_completing_a_quiz_against_the_baseline(stacks):
    stack = stacks("bare")
    from .conftest import bench_env

    manage("shell", "-c", "from tests.benchmarks.test_quiz import seed_catalog; seed_catalog()",
           env=bench_env(stack.database_url))
    path = f"{stack.base_url}/api/v1/quizzes/{SLUG}/responses/"
    body = json.dumps({"answers": {f"q{n}": f"c{n}{n % 4}" for n in range(1, QUESTIONS + 1)}})
    auth = {"Authorization": f"Bearer {stack.api_key}"}
    answer = requests.post(path, data=body, timeout=60,
                           headers={"Content-Type": "application/json", **auth})
    assert answer.status_code == 201, answer.text
    assert len(answer.json()["recommendations"]) == 3
    warm_up(stack.base_url + "/bench/baseline/", '{"id": "@N@"}', headers=auth, run="w")
    warm_up(path, body, headers=auth, run="w")

    ratios = alternate(
        lambda n: wrk(stack.base_url + "/bench/baseline/", '{"id": "@N@"}', headers=auth,
                      run=f"b{n}").rate,
        lambda n: wrk(path, body, headers=auth, run=f"q{n}").rate,
    )
    print(f"\n{stack.description}, {PRODUCTS} products, {QUESTIONS} questions")
    record(Figure(path="quiz completion / baseline request", target=TARGET, ratios=ratios))
