"""manage.py generate_fake_shop --customers N --orders M: a synthetic shop for benchmarks.

Customers get realistic histories: a fifth never order, the rest buy between their first visit
and the day they drift away (heavy buyers are rare: extra orders follow Pareto weights),
amounts are log-normal around 45 EUR, a few orders are refunded or cancelled. NumPy draws
every number at once; the rows reach the database as two tables of numbers (binary COPY on
PostgreSQL) from which one INSERT ... SELECT makes the customers and one the orders, so a
million customers and five million orders take a few minutes, not half an hour. Each
customer's order statistics are drawn with their orders, so nothing is recounted after.
Fake customers have emails `fake-<n>@shop.invalid`; `--reset` removes them (and their orders)
first.
"""

import time

import numpy as np
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.db.models import Model
from django.db.models.deletion import get_candidate_relations_to_delete
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer, Order
from kernel.bulk import columns_write

DOMAIN = "shop.invalid"
HISTORY_DAYS = 3 * 365
FIRST_NAMES = ["Ada", "Ben", "Chloé", "Dev", "Elif", "Finn", "Greta", "Hugo", "Ines", "Jonas"]
LAST_NAMES = ["Martin", "Rossi", "Novak", "Okafor", "Silva", "Tanaka", "Weber", "Khan"]
TIERS = ["", "", "", "", "Silver", "Silver", "Gold"]
STATUSES = ["paid", "cancelled", "refunded", "partially_refunded"]


def draw_shop(customers: int, orders: int, now: int, seed: int) -> tuple[dict, dict]:
    """Two tables of numbers: one row per customer, one per order (times in epoch seconds,
    money in cents), customers numbered from 0 and their orders from 0, oldest first."""
    rng = np.random.default_rng(seed)
    buyers = min(customers, orders, int(customers * 0.8) or customers)
    counts = np.zeros(customers, dtype=np.int64)
    counts[:buyers] = 1
    if buyers and orders > buyers:
        weights = rng.pareto(1.5, buyers) + 1  # classical Pareto, shape 1.5
        counts[:buyers] += rng.multinomial(orders - buyers, weights / weights.sum())
    counts = rng.permutation(counts)

    joined = now - rng.integers(0, HISTORY_DAYS * 86_400, customers, endpoint=True)
    drift = joined + (now - joined) * np.sqrt(rng.random(customers))
    owner = np.repeat(np.arange(customers), counts)
    placed = (joined[owner] + rng.random(owner.size) * (drift - joined)[owner]).astype(np.int64)
    oldest_first = np.lexsort((placed, owner))
    owner, placed = owner[oldest_first], placed[oldest_first]
    starts = np.cumsum(counts) - counts
    total = np.rint(np.exp(rng.normal(np.log(45), 0.5, owner.size)) * 100).astype(np.int64)
    roll = rng.random(owner.size)
    status = np.select([roll < 0.02, roll < 0.05, roll < 0.07], [1, 2, 3], default=0)
    refunded = np.select([status == 2, status == 3], [total, total // 2], default=0)
    counted = status != 1

    first = np.full(customers, np.iinfo(np.int64).max)
    last = np.full(customers, -1)
    np.minimum.at(first, owner[counted], placed[counted])
    np.maximum.at(last, owner[counted], placed[counted])
    people = {
        "number": np.arange(customers), "joined": joined,
        "accepts": (rng.random(customers) < 0.6).astype(np.int64),
        "first_name": rng.integers(0, len(FIRST_NAMES), customers),
        "last_name": rng.integers(0, len(LAST_NAMES), customers),
        "tier": np.where(counts > 0, rng.integers(0, len(TIERS), customers), 0),
        "orders": np.bincount(owner[counted], minlength=customers),
        "spent": np.bincount(owner, weights=(total - refunded) * counted,
                             minlength=customers).astype(np.int64),
        "first_t": np.where(last >= 0, first, 0), "last_t": last,
    }
    bought = {"number": owner, "k": np.arange(owner.size) - starts[owner], "placed": placed,
              "total": total, "refunded": refunded, "status": status}
    return people, bought


def _case(column: str, labels: list[str]) -> str:
    branches = " ".join(f"WHEN {i} THEN '{label}'" for i, label in enumerate(labels))
    return f"CASE {column} {branches} END"


def _insert_select(model: type[Model], given: dict[str, str], source: str) -> None:
    """INSERT INTO the model's table SELECT the `given` SQL expressions (by column) FROM
    `source`; every other column gets its field's default (or NULL), so fields other
    engineers add later need nothing here."""
    columns, expressions, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.column in given:
            expressions.append(given[field.column])
        else:
            expressions.append("%s")
            default = field.get_default() if field.has_default() or not field.null else None
            params.append(field.get_db_prep_save(default, connection))
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
                       f"SELECT {', '.join(expressions)} FROM {source}", params)


def _delete_set_based(model: type[Model], where: str, params: list) -> None:
    """Delete the rows of `model` matching `where` as Django's on_delete rules would (cascade,
    set null), with one statement per related table instead of loading a million objects."""
    matching = f"SELECT {model._meta.pk.column} FROM {model._meta.db_table} WHERE {where}"
    with connection.cursor() as cursor:
        for relation in get_candidate_relations_to_delete(model._meta):
            related, column = relation.related_model, relation.field.column
            if relation.on_delete is models.CASCADE:
                _delete_set_based(related, f"{column} IN ({matching})", params)
            elif relation.on_delete is models.SET_NULL:
                cursor.execute(f"UPDATE {related._meta.db_table} SET {column} = NULL "
                               f"WHERE {column} IN ({matching})", params)
            elif relation.on_delete is not models.DO_NOTHING:  # PROTECT and the like
                cursor.execute(f"SELECT 1 FROM {related._meta.db_table} "
                               f"WHERE {column} IN ({matching}) LIMIT 1", params)
                if cursor.fetchone():
                    raise CommandError(_("Can't reset: %(model)s rows still refer to the "
                                         "fake shop.") % {"model": related._meta.label})
        cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE {where}", params)


class Command(BaseCommand):
    help = _("Create a synthetic shop of N customers and M orders with bulk inserts.")

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, required=True)
        parser.add_argument("--orders", type=int, required=True)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--reset", action="store_true",
                            help=_("Delete earlier fake customers and their orders first."))

    def handle(self, *args, customers, orders, seed, reset, **options):
        if customers < 0 or orders < 0:
            raise CommandError(_("Counts can't be negative."))
        if orders and not customers:
            raise CommandError(_("Orders need customers."))
        started = time.perf_counter()
        fake = Customer.objects.filter(email__endswith=f"@{DOMAIN}")
        if reset:
            with transaction.atomic():
                with connection.cursor() as cursor:  # their orders go, not just their link
                    cursor.execute("DELETE FROM customers_order WHERE customer_id IN "
                                   "(SELECT id FROM customers_customer WHERE email LIKE %s)",
                                   [f"%@{DOMAIN}"])
                _delete_set_based(Customer, "email LIKE %s", [f"%@{DOMAIN}"])
        elif fake.exists():
            raise CommandError(_("This database already has a fake shop; use --reset."))
        now = int(timezone.now().timestamp())
        people, bought = draw_shop(customers, orders, now, seed)
        self.stdout.write(_("Drew %(c)d customers and %(o)d orders in %(s).1f s.") % {
            "c": customers, "o": len(bought["number"]), "s": time.perf_counter() - started})
        with transaction.atomic():
            self._load(people, bought, now)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE customers_customer")
                cursor.execute("ANALYZE customers_order")
        self.stdout.write(_("Created %(c)d customers and %(o)d orders in %(s).1f s.") % {
            "c": customers, "o": len(bought["number"]), "s": time.perf_counter() - started})

    def _load(self, people: dict, bought: dict, now: int) -> None:
        postgres = connection.vendor == "postgresql"
        at = "to_timestamp({})" if postgres else "datetime({}, 'unixepoch')"
        money = "({}::numeric / 100)" if postgres else "({} / 100.0)"
        with connection.cursor() as cursor:
            for table, names in (("fake_people", people), ("fake_orders", bought)):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
                cursor.execute(f"CREATE TEMP TABLE {table} ("
                               + ", ".join(f"{name} bigint" for name in names) + ")")
                columns_write(table=table, columns=names)
        email = f"'fake-' || number || '@{DOMAIN}'"
        _insert_select(Customer, {
            "email": email, "first_name": _case("first_name", FIRST_NAMES),
            "last_name": _case("last_name", LAST_NAMES), "accepts_marketing": "accepts = 1",
            "marketing_consent_at": f"CASE WHEN accepts = 1 THEN {at.format('joined')} END",
            "marketing_consent_source": "CASE WHEN accepts = 1 THEN 'fake' ELSE '' END",
            "loyalty_tier": _case("tier", TIERS), "created_at": at.format("joined"),
            "updated_at": at.format(now), "orders_count": "orders",
            "total_spent": money.format("spent"),
            "first_order_at": f"CASE WHEN last_t >= 0 THEN {at.format('first_t')} END",
            "last_order_at": f"CASE WHEN last_t >= 0 THEN {at.format('last_t')} END",
        }, "fake_people ORDER BY number")
        placed = at.format("o.placed")
        _insert_select(Order, {
            "customer_id": "c.id", "source": "'generic'",
            "external_id": "'fake-' || o.number || '-' || o.k",
            "name": "'#F' || o.number || '-' || o.k", "status": _case("o.status", STATUSES),
            "currency": "'EUR'", "total": money.format("o.total"),
            "refunded_total": money.format("o.refunded"), "shop_total": money.format("o.total"),
            "shop_net": money.format("o.total - o.refunded"), "placed_at": placed,
            "paid_at": f"CASE WHEN o.status <> 1 THEN {placed} END",
            "cancelled_at": f"CASE WHEN o.status = 1 THEN {at.format('o.placed + 7200')} END",
            "source_updated_at": placed, "created_at": placed,
        }, f"fake_orders o JOIN customers_customer c ON c.email = 'fake-' || o.number || "
           f"'@{DOMAIN}'")
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE fake_people")
            cursor.execute("DROP TABLE fake_orders")
