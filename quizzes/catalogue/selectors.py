"""Reads of the product catalog: the products the engine scores, kept per process, and the tags."""

import threading
from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import CharField, Count, F, Max, Q, Subquery, Sum, Value
from django.db.models.functions import Cast, Coalesce, Concat

from quizzes.engine import Catalog, ProductInfo, catalog_prepare
from quizzes.models import Product


def catalog_for_engine() -> list[ProductInfo]:
    """The products a quiz can recommend (active and in stock), as the engine reads them,
    in one query whatever the size of the catalog."""
    return _catalog_read()[0]


def _catalog_read() -> tuple[list[ProductInfo], dict[str, Product]]:
    """The products a quiz can recommend, by SKU, both as the engine reads them and as they
    are shown, in one query."""
    products = list(Product.objects.filter(active=True, in_stock=True)
                    .annotate(min_tier_position=F("min_tier__position")).order_by("sku"))
    return [
        ProductInfo(sku=product.sku, price=product.price, tags=frozenset(product.tags),
                    consumable=product.consumable,
                    min_tier_position=product.min_tier_position)
        for product in products
    ], {product.sku: product for product in products}


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


@dataclass(frozen=True, slots=True)
class CatalogSnapshot:
    """The engine's prepared catalog and the same products as shown (by SKU), read together."""

    catalog: Catalog
    products: Mapping[str, Product]


_EMPTY = CatalogSnapshot(catalog=catalog_prepare([]), products={})
_NEVER = object()
_catalog: dict = {"stamp": _NEVER, "snapshot": _EMPTY}


def _stamp_rows():
    def text(value):
        return Coalesce(Cast(value, CharField()), Value(""))
    parts = [Count("id"), Count("id", filter=Q(active=True, in_stock=True)), Max("id"),
             Max("updated_at"), Sum("min_tier__position")]
    separated = [item for part in parts for item in (text(part), Value("/"))][:-1]
    return (Product.objects.order_by().annotate(one=Value(1)).values("one")
            .annotate(stamp=Concat(*separated, output_field=CharField())).values_list("stamp"))


def catalog_stamp() -> Subquery:
    """The catalog's fingerprint as one text value (how many products and how many on offer,
    the latest id and change, the sum of VIP tier positions), to read beside another query
    (`quiz_version_latest` does) and hand to `catalog_snapshot`."""
    return Subquery(_stamp_rows()[:1], output_field=CharField())


def catalog_snapshot(*, stamp: str | None = None) -> CatalogSnapshot:
    """The recommendable products, prepared for scoring (`catalog_prepare`) and as shown,
    reloaded only when the catalog changed: two queries on a change, one otherwise (none when
    the caller read `catalog_stamp()` already), whatever the catalog's size. Share, never
    change, what it returns."""
    if stamp is None:
        stamp = next(iter(_stamp_rows()[:1]), ("",))[0]
    with _catalog_lock:
        if _catalog["stamp"] == stamp:
            return _catalog["snapshot"]
    infos, products = _catalog_read()
    snapshot = CatalogSnapshot(catalog=catalog_prepare(infos), products=products)
    with _catalog_lock:
        _catalog.update(stamp=stamp, snapshot=snapshot)
    return snapshot


def catalog_cached() -> Catalog:
    """`catalog_for_engine()` prepared for scoring, as `catalog_snapshot` keeps it."""
    return catalog_snapshot().catalog


def catalog_cache_clear(**kwargs) -> None:
    with _catalog_lock:
        _catalog.update(stamp=_NEVER, snapshot=_EMPTY)
