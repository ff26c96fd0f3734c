"""Races on PostgreSQL with real threads: first imports of one SKU, publishing at once."""

from decimal import Decimal

import pytest

from quizzes import services
from quizzes.catalogue import services as catalogue_services
from quizzes.models import Product
from tests.conftest import at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_simultaneous_first_imports_of_one_sku_make_one_product_and_no_error():
    def upsert(i):
        return catalogue_services.product_upsert(
            sku="SER-RACE-30", name=f"Race serum {i % 2}", url="https://shop.example.com/race",
            price=Decimal("20.00"), currency="EUR", tags=["serum"])

    results = at_once(8, upsert)

    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    outcomes = sorted(outcome for _product, outcome in results)
    assert outcomes.count(catalogue_services.Outcome.CREATED) == 1
    assert Product.objects.filter(sku="SER-RACE-30").count() == 1
    assert Product.objects.get(sku="SER-RACE-30").name in {"Race serum 0", "Race serum 1"}


def test_two_staff_publishing_at_once_make_two_numbered_versions():
    from tests.quizzes.test_building import skin_quiz

    quiz, *_rest = skin_quiz()

    results = at_once(2, lambda i: services.quiz_publish(quiz=quiz))

    assert not [r for r in results if isinstance(r, Exception)]
    assert sorted(quiz.versions.values_list("number", flat=True)) == [1, 2]
