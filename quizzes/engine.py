"""The recommendation engine: a pure function over plain data, no database.

Callers load the catalog (`selectors.catalog_for_engine`) and the shopper's answers, and turn
the result back into products to show.
"""

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class ProductInfo:
    """What the engine knows of a product. `min_tier_position` makes it VIP-only: only
    customers whose tier position is at least that see it."""

    sku: str
    price: Decimal
    tags: frozenset[str] = frozenset()
    active: bool = True
    in_stock: bool = True
    consumable: bool = False
    min_tier_position: int | None = None


@dataclass(frozen=True, slots=True)
class ChosenAnswer:
    """One answer the shopper chose. `label` is what they said ("oily skin"), shown in the
    reasons. Weights may be negative. A product carrying any `excluded_tags` is removed (a
    "fragrance-free only" answer excludes "fragrance"); a product lacking any of the
    `required_tags` is removed too."""

    label: str
    tag_weights: Mapping[str, int] = field(default_factory=dict)
    product_weights: Mapping[str, int] = field(default_factory=dict)
    excluded_tags: frozenset[str] = frozenset()
    required_tags: frozenset[str] = frozenset()

    def weight_for(self, product: ProductInfo) -> int:
        tag_weight = sum(self.tag_weights.get(tag, 0) for tag in product.tags)
        return tag_weight + self.product_weights.get(product.sku, 0)


@dataclass(frozen=True, slots=True)
class Recommendation:
    sku: str
    score: int
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Catalog:
    """The products as the engine scores them, prepared once per catalog (`catalog_prepare`):
    grouped by their set of tags, each group cheapest first (then by SKU). Every product of a
    group gets the same weight from the answers' tags, so a recommendation scores each group
    once and looks at its products only until it has found enough eligible ones."""

    groups: tuple[tuple[frozenset[str], tuple[ProductInfo, ...]], ...]
    by_sku: Mapping[str, ProductInfo]


def _price_then_sku(product: ProductInfo) -> tuple[Decimal, str]:
    return product.price, product.sku


def catalog_prepare(products: Sequence[ProductInfo]) -> Catalog:
    """The products grouped for scoring (see `Catalog`); SKUs must be unique."""
    _refuse_duplicate_skus(products)
    groups: dict[frozenset[str], list[ProductInfo]] = {}
    for product in products:
        groups.setdefault(product.tags, []).append(product)
    return Catalog(
        groups=tuple((tags, tuple(sorted(group, key=_price_then_sku)))
                     for tags, group in groups.items()),
        by_sku={product.sku: product for product in products},
    )


def recommend(
    *,
    products: Sequence[ProductInfo] | Catalog,
    answers: Sequence[ChosenAnswer],
    limit: int,
    owned_skus: frozenset[str] = frozenset(),
    tier_position: int | None = None,
) -> list[Recommendation]:
    """The top `limit` products for these answers, best first.

    Score: for each answer, the weights it gives to the product's tags plus the weight it
    gives to the product itself; the product's score is the sum over the answers.

    Left out: inactive and out-of-stock products; products carrying a tag some answer
    excludes, or lacking a tag some answer requires; products the customer already owns
    (`owned_skus`) unless they are consumable; VIP products whose `min_tier_position` is
    above `tier_position` (None: the customer has no tier, so every VIP product is left out);
    and products whose score is zero or negative: a product nothing spoke for is not a
    recommendation, so the result may be shorter than `limit`, or empty.

    Order: score descending, then price ascending (the cheaper of two equal fits first), then
    SKU ascending: a total order that never depends on the order of `products`. Ties are
    broken only by the product's own price and SKU, which no weight moves, so raising a chosen
    answer's weight toward a product never lowers its rank. (A "more answers agreed" tie-break
    would break that: one tag weight reaches several products, and can turn another product's
    answer from negative to positive while both scores rise alike.)

    Reasons: the labels of the answers that gave the product a positive weight, in answer
    order, each once ("because you said: oily skin, humid climate").

    SKUs must be unique within `products`. `products` may be a `Catalog` prepared once for
    many calls (`catalog_prepare`): scoring then costs a pass over its groups of products
    sharing the same tags, not over every product.
    """
    if limit <= 0:
        return []
    catalog = products if isinstance(products, Catalog) else catalog_prepare(products)
    excluded = frozenset().union(*(answer.excluded_tags for answer in answers))
    required = frozenset().union(*(answer.required_tags for answer in answers))
    # The answers' weights summed per tag and per SKU give each product's score; the reasons
    # are worked out for the winners only.
    tag_totals: dict[str, int] = {}
    sku_totals: dict[str, int] = {}
    for answer in answers:
        for tag, weight in answer.tag_weights.items():
            tag_totals[tag] = tag_totals.get(tag, 0) + weight
        for sku, weight in answer.product_weights.items():
            sku_totals[sku] = sku_totals.get(sku, 0) + weight
    weighted_tags = frozenset(tag_totals)
    weight_of = tag_totals.__getitem__
    ranked: list[tuple[int, ProductInfo]] = []
    for tags, group in catalog.groups:
        score = sum(map(weight_of, tags & weighted_tags))
        if score <= 0 or tags & excluded or not required <= tags:
            continue  # nothing (or less than nothing) spoke for the group, or it is left out
        found = 0
        for product in group:  # cheapest first: the group's first eligible are its best
            if product.sku in sku_totals or not _eligible_product(product, owned_skus,
                                                                   tier_position):
                continue  # weighed on its own (below), or left out
            ranked.append((score, product))
            found += 1
            if found == limit:
                break
    for sku, weight in sku_totals.items():  # products some answer weighs by name
        product = catalog.by_sku.get(sku)
        if product is None or not _eligible(product, excluded, required, owned_skus,
                                            tier_position):
            continue
        score = weight + sum(map(weight_of, product.tags & weighted_tags))
        if score > 0:
            ranked.append((score, product))
    ranked = heapq.nsmallest(limit, ranked,
                             key=lambda pair: (-pair[0], pair[1].price, pair[1].sku))
    return [
        Recommendation(sku=product.sku, score=score, reasons=tuple(dict.fromkeys(
            answer.label for answer in answers if answer.weight_for(product) > 0)))
        for score, product in ranked
    ]


def _refuse_duplicate_skus(products: Sequence[ProductInfo]) -> None:
    if len({product.sku for product in products}) == len(products):
        return
    seen: set[str] = set()
    for product in products:
        if product.sku in seen:
            raise ValueError(f"Duplicate SKU in the catalog: {product.sku}")
        seen.add(product.sku)


def _eligible(
    product: ProductInfo,
    excluded: frozenset[str],
    required: frozenset[str],
    owned_skus: frozenset[str],
    tier_position: int | None,
) -> bool:
    if product.tags & excluded or not required <= product.tags:
        return False
    return _eligible_product(product, owned_skus, tier_position)


def _eligible_product(product: ProductInfo, owned_skus: frozenset[str],
                      tier_position: int | None) -> bool:
    """What leaves a product out whatever its tags: off sale, owned, or VIP-only."""
    if not (product.active and product.in_stock):
        return False
    if product.sku in owned_skus and not product.consumable:
        return False
    if product.min_tier_position is None:
        return True
    return tier_position is not None and tier_position >= product.min_tier_position
