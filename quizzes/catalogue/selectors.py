"""Reads of the product catalog: the products the engine scores, kept per process, and the tags."""

import threading

from django.db.models import Count, Max, Q, Sum

from quizzes.engine import Catalog, ProductInfo, catalog_prepare
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


def catalog_tags() -> set[str]:
    """Every tag some product of the catalog carries."""
    tags: set[str] = set()
    for product_tags in Product.objects.values_list("tags", flat=True):
        tags.update(product_tags)
    return tags


# The engine's catalog, kept per process between requests: reading and decoding 5,000
# products costs far more than the rest of a completion. Each use asks the database for a
# cheap fingerprint of the catalog (one aggregate query: how many products and how many on
# offer, the latest id and change, the sum of VIP tier positions) and reloads when it
# differs; saves and deletes in this process clear it at once.
_catalog_lock = threading.Lock()
_catalog: dict = {"stamp": None, "products": catalog_prepare([])}


def catalog_cached() -> Catalog:
    """`catalog_for_engine()` prepared for scoring (`catalog_prepare`), reloaded only when the
    catalog changed: two queries on a change, one otherwise, whatever the catalog's size."""
    stamp = tuple(Product.objects.aggregate(
        count=Count("id"), offered=Count("id", filter=Q(active=True, in_stock=True)),
        last_id=Max("id"), changed=Max("updated_at"),
        tiers=Sum("min_tier__position"),
    ).values())
    with _catalog_lock:
        if _catalog["stamp"] == stamp:
            return _catalog["products"]
    products = catalog_prepare(catalog_for_engine())
    with _catalog_lock:
        _catalog.update(stamp=stamp, products=products)
    return products


def catalog_cache_clear(**kwargs) -> None:
    with _catalog_lock:
        _catalog.update(stamp=None, products=catalog_prepare([]))
