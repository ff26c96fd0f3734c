"""The recommendation engine on a small catalog whose scores are worked out by hand."""

from dataclasses import replace
from decimal import Decimal

import pytest

from quizzes.engine import ChosenAnswer, ProductInfo, Recommendation, recommend


def product(sku: str, price: str, *tags: str, **options) -> ProductInfo:
    return ProductInfo(sku=sku, price=Decimal(price), tags=frozenset(tags), **options)


CATALOG = [
    product("SERUM", "30.00", "oily", "hydrating"),
    product("GEL", "20.00", "oily", "fragrance"),
    product("CREAM", "25.00", "dry", "hydrating"),
    product("TONER-B", "15.00", "oily"),
    product("TONER-A", "15.00", "oily"),
    product("MASK", "40.00", "humid", "oily"),
    product("SPF", "22.00", "sun"),
]
OILY = ChosenAnswer(label="oily skin", tag_weights={"oily": 3, "dry": -2})
HUMID = ChosenAnswer(label="humid climate", tag_weights={"hydrating": -1, "humid": 2},
                     product_weights={"MASK": 2})
FRAGRANCE_FREE = ChosenAnswer(label="fragrance-free only", excluded_tags=frozenset({"fragrance"}))


def skus(result: list[Recommendation]) -> list[str]:
    return [r.sku for r in result]


def test_scores_order_and_reasons_of_a_hand_computed_example():
    result = recommend(products=CATALOG, answers=[OILY, HUMID], limit=10)

    # MASK 3 + (2 + 2) = 7; TONER-A, TONER-B and GEL 3 (cheaper first, then by SKU);
    # SERUM 3 - 1 = 2; CREAM -2 - 1 = -3 and SPF 0 are not recommended.
    assert result == [
        Recommendation(sku="MASK", score=7, reasons=("oily skin", "humid climate")),
        Recommendation(sku="TONER-A", score=3, reasons=("oily skin",)),
        Recommendation(sku="TONER-B", score=3, reasons=("oily skin",)),
        Recommendation(sku="GEL", score=3, reasons=("oily skin",)),
        Recommendation(sku="SERUM", score=2, reasons=("oily skin",)),
    ]


def test_reasons_follow_answer_order_and_skip_answers_that_spoke_against():
    result = recommend(products=CATALOG, answers=[HUMID, OILY], limit=10)

    assert result[0].reasons == ("humid climate", "oily skin")
    serum = next(r for r in result if r.sku == "SERUM")
    assert serum.reasons == ("oily skin",)


def test_limit_keeps_the_best():
    assert skus(recommend(products=CATALOG, answers=[OILY, HUMID], limit=2)) == [
        "MASK", "TONER-A"]
    assert recommend(products=CATALOG, answers=[OILY, HUMID], limit=0) == []


def test_no_answers_or_no_positive_weight_recommends_nothing():
    assert recommend(products=CATALOG, answers=[], limit=5) == []
    dislikes = ChosenAnswer(label="no oil", tag_weights={"oily": -1})
    assert recommend(products=CATALOG, answers=[dislikes], limit=5) == []


def test_an_excluded_tag_removes_the_product_whatever_its_score():
    result = recommend(products=CATALOG, answers=[OILY, HUMID, FRAGRANCE_FREE], limit=10)

    assert "GEL" not in skus(result)
    assert skus(result) == ["MASK", "TONER-A", "TONER-B", "SERUM"]


def test_required_tags_keep_only_products_that_carry_them():
    hydrating_only = ChosenAnswer(label="hydrating only", required_tags=frozenset({"hydrating"}))

    result = recommend(products=CATALOG, answers=[OILY, hydrating_only], limit=10)

    assert skus(result) == ["SERUM"]


def test_inactive_and_out_of_stock_products_are_left_out():
    catalog = [replace(p, active=False) if p.sku == "MASK" else
               replace(p, in_stock=False) if p.sku == "TONER-A" else p for p in CATALOG]

    result = recommend(products=catalog, answers=[OILY, HUMID], limit=10)

    assert skus(result) == ["TONER-B", "GEL", "SERUM"]


def test_owned_products_are_left_out_unless_consumable():
    catalog = [replace(p, consumable=True) if p.sku == "TONER-A" else p for p in CATALOG]

    result = recommend(products=catalog, answers=[OILY, HUMID], limit=10,
                       owned_skus=frozenset({"MASK", "TONER-A"}))

    assert skus(result) == ["TONER-A", "TONER-B", "GEL", "SERUM"]


@pytest.mark.parametrize(("tier_position", "sees_mask"),
                         [(None, False), (0, False), (1, False), (2, True), (3, True)])
def test_vip_products_need_a_high_enough_tier(tier_position, sees_mask):
    catalog = [replace(p, min_tier_position=2) if p.sku == "MASK" else p for p in CATALOG]

    result = recommend(products=catalog, answers=[OILY, HUMID], limit=10,
                       tier_position=tier_position)

    assert ("MASK" in skus(result)) is sees_mask
    assert "TONER-A" in skus(result)


def test_a_product_weight_can_lift_one_product_above_its_tag_mates():
    lift = ChosenAnswer(label="loves toners", product_weights={"TONER-B": 1})

    result = recommend(products=CATALOG, answers=[OILY, lift], limit=3)

    assert result[0] == Recommendation(sku="TONER-B", score=4,
                                       reasons=("oily skin", "loves toners"))


def test_duplicate_skus_are_refused():
    with pytest.raises(ValueError, match="SERUM"):
        recommend(products=[*CATALOG, CATALOG[0]], answers=[OILY], limit=3)


def test_ties_ignore_how_many_answers_agreed_so_raising_a_weight_never_costs_rank():
    # PEEL and BALM tie on 5; PEEL is cheaper, so it leads. Raising "oily" by 2 lifts both to
    # 7 and turns BALM's first answer positive: were ties broken by the number of agreeing
    # answers, BALM would now lead, and raising a weight toward PEEL would have cost it rank.
    catalog = [product("PEEL", "10.00", "oily"), product("BALM", "12.00", "oily", "rich")]
    first = ChosenAnswer(label="oily skin", tag_weights={"oily": 5, "rich": -6})
    second = ChosenAnswer(label="dry patches", product_weights={"BALM": 6})
    raised = replace(first, tag_weights={"oily": 7, "rich": -6})

    before = recommend(products=catalog, answers=[first, second], limit=2)
    after = recommend(products=catalog, answers=[raised, second], limit=2)

    assert [(r.sku, r.score) for r in before] == [("PEEL", 5), ("BALM", 5)]
    assert [(r.sku, r.score) for r in after] == [("PEEL", 7), ("BALM", 7)]
    assert after[1].reasons == ("oily skin", "dry patches")
