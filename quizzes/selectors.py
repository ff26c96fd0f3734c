"""Reads of the product catalog."""

from quizzes.engine import ProductInfo
from quizzes.models import Product


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
