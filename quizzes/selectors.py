"""Reads of the product catalog."""

import csv
import io
from dataclasses import dataclass

from quizzes.building import GRID_FIXED_COLUMNS
from quizzes.engine import ProductInfo
from quizzes.models import Choice, ChoiceWeight, Product, Question, Quiz


def catalog_for_engine() -> list[ProductInfo]:
    """The products a quiz can recommend (active and in stock), as the engine reads them,
    in one query whatever the size of the catalog."""
    rows = (
        Product.objects.filter(active=True, in_stock=True)
        .order_by("sku")
        .values_list("sku", "price", "tags", "consumable", "min_tier__position")
    )
    return [
        ProductInfo(sku=sku, price=price, tags=frozenset(tags), consumable=consumable,
                    min_tier_position=min_tier_position)
        for sku, price, tags, consumable, min_tier_position in rows
    ]


# The quiz builder's reads: the mapping grid.


@dataclass(frozen=True)
class GridRow:
    question: Question
    choice: Choice
    weights: dict[str, int]  # tag -> weight; tags without weight are absent


@dataclass(frozen=True)
class Grid:
    tags: list[str]
    rows: list[GridRow]


def catalog_tags() -> set[str]:
    """Every tag some product of the catalog carries."""
    tags: set[str] = set()
    for product_tags in Product.objects.values_list("tags", flat=True):
        tags.update(product_tags)
    return tags


def quiz_grid(*, quiz: Quiz) -> Grid:
    """The quiz's choice-to-tag weights: a row per choice of its choice questions, in asking
    order; a column per tag of the catalog (and any tag the quiz already weighs)."""
    choices = list(
        Choice.objects.filter(question__quiz=quiz, question__kind__in=Question.CHOICE_KINDS)
        .select_related("question").order_by("question__position", "question_id", "position",
                                             "id")
    )
    weights: dict[int, dict[str, int]] = {choice.pk: {} for choice in choices}
    for choice_id, tag, weight in (ChoiceWeight.objects.filter(choice__question__quiz=quiz)
                                   .exclude(tag="").values_list("choice_id", "tag", "weight")):
        weights.setdefault(choice_id, {})[tag] = weight
    used = {tag for row in weights.values() for tag in row}
    return Grid(
        tags=sorted(catalog_tags() | used),
        rows=[GridRow(question=c.question, choice=c, weights=weights[c.pk]) for c in choices],
    )


def quiz_grid_csv(*, quiz: Quiz) -> str:
    """The grid as CSV (question, choice_id, choice, then a column per tag; blank cells have
    no weight), as `quiz_grid_import` reads it back."""
    grid = quiz_grid(quiz=quiz)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*GRID_FIXED_COLUMNS, *grid.tags])
    for row in grid.rows:
        writer.writerow([row.question.text, row.choice.pk, row.choice.label,
                         *(row.weights.get(tag, "") for tag in grid.tags)])
    return out.getvalue()
