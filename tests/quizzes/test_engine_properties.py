"""Properties of the recommendation engine that must hold for any catalog and answers."""

from dataclasses import replace
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from quizzes.engine import ChosenAnswer, ProductInfo, recommend

TAGS = ["oily", "dry", "humid", "fragrance", "vegan"]
SKUS = [f"P{n}" for n in range(8)]
# Skewed toward what a real quiz sees (mostly positive weights, few exclusions, most products
# buyable), so that many examples recommend several products and tie on score.
weights = st.sampled_from([3, 1, 2, 4, 0, -1, -2])
mostly_true = st.sampled_from([True] * 9 + [False])
tier = st.sampled_from([2, 1, 0, None, None])
few_tags = st.sampled_from([frozenset()] * 20 + [frozenset({tag}) for tag in TAGS])

products_st = st.lists(
    st.builds(
        ProductInfo,
        sku=st.sampled_from(SKUS),
        price=st.integers(min_value=0, max_value=3).map(Decimal),
        tags=st.frozensets(st.sampled_from(TAGS), min_size=1, max_size=3),
        active=mostly_true,
        in_stock=mostly_true,
        consumable=st.booleans(),
        min_tier_position=st.sampled_from([None] * 6 + [1, 2]),
    ),
    min_size=1,
    max_size=len(SKUS),
    unique_by=lambda p: p.sku,
)
answers_st = st.lists(
    st.builds(
        ChosenAnswer,
        label=st.sampled_from(["oily skin", "humid climate", "sensitive", "vegan"]),
        tag_weights=st.dictionaries(st.sampled_from(TAGS), weights, min_size=1),
        product_weights=st.dictionaries(st.sampled_from(SKUS), weights, max_size=2),
        excluded_tags=few_tags,
        required_tags=st.sampled_from([frozenset()] * 12 + [frozenset({"vegan"})]),
    ),
    min_size=1,
    max_size=4,
)
context_st = st.fixed_dictionaries({
    "limit": st.integers(min_value=1, max_value=10),
    "owned_skus": st.frozensets(st.sampled_from(SKUS), max_size=2),
    "tier_position": tier,
})


def rank(result, sku: str) -> int | None:
    return next((index for index, r in enumerate(result) if r.sku == sku), None)


@settings(max_examples=300, deadline=None)
@given(products=products_st.filter(bool), answers=answers_st.filter(bool),
       context=context_st, data=st.data())
def test_raising_a_chosen_answers_weight_toward_a_product_never_lowers_its_rank(
    products, answers, context, data
):
    target = data.draw(st.sampled_from(products), label="product")
    index = data.draw(st.integers(min_value=0, max_value=len(answers) - 1), label="answer")
    toward = data.draw(st.sampled_from(["sku", *sorted(target.tags)]), label="toward")
    delta = data.draw(st.integers(min_value=1, max_value=10), label="delta")
    answer = answers[index]
    if toward == "sku":
        product_weights = dict(answer.product_weights)
        product_weights[target.sku] = product_weights.get(target.sku, 0) + delta
        raised = replace(answer, product_weights=product_weights)
    else:
        tag_weights = dict(answer.tag_weights)
        tag_weights[toward] = tag_weights.get(toward, 0) + delta
        raised = replace(answer, tag_weights=tag_weights)
    raised_answers = [*answers[:index], raised, *answers[index + 1:]]

    before = rank(recommend(products=products, answers=answers, **context), target.sku)
    after = rank(recommend(products=products, answers=raised_answers, **context), target.sku)

    if before is not None:
        assert after is not None and after <= before


@settings(max_examples=300, deadline=None)
@given(products=products_st, answers=answers_st, context=context_st)
def test_a_product_carrying_an_excluded_tag_never_appears(products, answers, context):
    excluded = frozenset().union(*(a.excluded_tags for a in answers))
    by_sku = {p.sku: p for p in products}

    result = recommend(products=products, answers=answers, **context)

    assert all(not by_sku[r.sku].tags & excluded for r in result)
    assert all(by_sku[r.sku].active and by_sku[r.sku].in_stock for r in result)
    assert len(result) <= context["limit"]


@settings(max_examples=300, deadline=None)
@given(products=products_st, answers=answers_st, context=context_st, data=st.data())
def test_the_same_input_gives_the_same_output_in_any_catalog_order(
    products, answers, context, data
):
    shuffled = data.draw(st.permutations(products), label="shuffled")

    first = recommend(products=products, answers=answers, **context)

    assert recommend(products=products, answers=answers, **context) == first
    assert recommend(products=shuffled, answers=answers, **context) == first
