"""Reads of the product catalog: the products the engine scores, kept per process, and the tags."""

import threading
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import connection
from django.db.models import CharField, F
from django.db.models.expressions import RawSQL

from quizzes.engine import Catalog, ProductInfo, catalog_prepare
from quizzes.models import CatalogStamp, Product


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
# products costs far more than the rest of a completion. Each use reads the catalog's
# fingerprint (the token the database changes on every write to the products, and the VIP
# tiers' positions) and reloads when it differs, in this process as in every other.
_catalog_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class CatalogSnapshot:
    """The engine's prepared catalog and the same products as shown (by SKU), read together."""

    catalog: Catalog
    products: Mapping[str, Product]


_EMPTY = CatalogSnapshot(catalog=catalog_prepare([]), products={})
_NEVER = object()
_catalog: dict = {"stamp": _NEVER, "snapshot": _EMPTY}


def _stamp_sql() -> str:
    """The fingerprint's SQL, one text value: the products' token (CatalogStamp) and the VIP
    tiers' positions. It reads one row and the few tiers, never the products (a scan of
    5,000 of them took more of the database's time than the rest of a completion). Written
    out rather than built by the ORM, whose compiling of it cost more CPU than the query."""
    stamp = CatalogStamp._meta.db_table
    tier = Product.min_tier.field.related_model._meta.db_table  # type: ignore[union-attr]
    return (f"(SELECT COALESCE((SELECT s.token FROM \"{stamp}\" s WHERE s.id = 1), '')"
            f" || '/' || (SELECT CAST(COUNT(*) AS TEXT) || '/'"
            f" || CAST(COALESCE(SUM(t.id * t.position), 0) AS TEXT) FROM \"{tier}\" t))")


def catalog_stamp() -> RawSQL:
    """The catalog's fingerprint as one text value, to read beside another query
    (`quiz_version_latest` does) and hand to `catalog_snapshot`."""
    return RawSQL(_stamp_sql(), (), output_field=CharField())


def catalog_snapshot(*, stamp: str | None = None) -> CatalogSnapshot:
    """The recommendable products, prepared for scoring (`catalog_prepare`) and as shown,
    reloaded only when the catalog changed: two queries on a change, one otherwise (none when
    the caller read `catalog_stamp()` already), whatever the catalog's size. Share, never
    change, what it returns."""
    if stamp is None:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {_stamp_sql()}")
            stamp = cursor.fetchone()[0] or ""
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


def catalog_cache_clear() -> None:
    """Forget this process's kept catalog: the next use reads it again."""
    with _catalog_lock:
        _catalog.update(stamp=_NEVER, snapshot=_EMPTY)
