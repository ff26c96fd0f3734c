"""Completing a 10-question quiz against a 5,000-product catalog through the API, against the
bare DRF endpoint on the same stack. Each request sends every answer at once and gets the
recommendations back. Target: ratio >= 0.33 (within 3x of the baseline)."""

import json
import os
from decimal import Decimal

from tests.benchmarks.conftest import manage
from tests.benchmarks.test_ingestion import CLIENT_THREADS, WARM_UP, baseline_rate, post_all, sized

PRODUCTS = 5000
QUESTIONS = 10
SLUG = "bench-quiz"

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


def seed(stack) -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.benchmarks.settings",
           "DATABASE_URL": stack.database_url, "SECRET_KEY": "benchmark-only-secret-key"}
    manage("shell", "-c", "from tests.benchmarks.test_quiz import seed_catalog; seed_catalog()",
           env=env)


def quiz_rate(stack) -> float:
    body = json.dumps({"answers": {f"q{n}": f"c{n}{n % 4}" for n in range(1, QUESTIONS + 1)}})

    def run(count: int) -> float:
        responses, elapsed = post_all(stack, f"/api/v1/quizzes/{SLUG}/responses/",
                                      [body] * count)
        assert {r.status_code for r in responses} == {201}
        assert all(len(r.json()["recommendations"]) == 3 for r in responses)
        return count / elapsed

    return run(sized(run(WARM_UP)))


def test_completing_a_quiz_against_a_bare_endpoint(stack):
    seed(stack)
    baseline = baseline_rate(stack)
    quizzes = quiz_rate(stack)
    print(f"\n{stack.description}, {CLIENT_THREADS} client threads, {PRODUCTS} products, "
          f"{QUESTIONS} questions")
    print(f"quiz completion: {quizzes:.1f} responses/s, baseline {baseline:.1f} req/s, "
          f"ratio {quizzes / baseline:.2f} (target >= 0.33)")
