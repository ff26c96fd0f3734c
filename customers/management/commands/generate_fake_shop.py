"""manage.py generate_fake_shop --customers N --orders M: a synthetic shop for benchmarks.

Customers get realistic histories: a fifth never order, the rest buy between their first visit
and the day they drift away, amounts are log-normal around 45 EUR, a few orders are refunded
or cancelled. Rows go in with COPY on PostgreSQL and bulk_create in chunks elsewhere; each
customer's order stats are computed as they are generated, so nothing is recounted after.
Fake customers have emails `fake-<n>@shop.invalid`; `--reset` removes them (and their orders)
first.
"""

import datetime as dt
import math
import random
import time
from collections import Counter
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import JSONField
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer, Order

CHUNK = 50_000
DOMAIN = "shop.invalid"
CENT = Decimal("0.01")
HISTORY_DAYS = 3 * 365
FIRST_NAMES = ["Ada", "Ben", "Chloé", "Dev", "Elif", "Finn", "Greta", "Hugo", "Ines", "Jonas"]
LAST_NAMES = ["Martin", "Rossi", "Novak", "Okafor", "Silva", "Tanaka", "Weber", "Khan"]
TIERS = ["", "", "", "", "Silver", "Silver", "Gold"]


def _orders_per_customer(rng: random.Random, customers: int, orders: int) -> list[int]:
    buyers = min(customers, max(0, orders), int(customers * 0.8) or customers)
    counts = [0] * customers
    if buyers == 0:
        return counts
    for i in range(buyers):
        counts[i] = 1
    extra = orders - buyers
    if extra > 0:
        weights = [rng.paretovariate(1.5) for _ in range(buyers)]
        for index, n in Counter(rng.choices(range(buyers), weights=weights, k=extra)).items():
            counts[index] += n
    rng.shuffle(counts)
    return counts


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
        started = time.perf_counter()
        fake = Customer.objects.filter(email__endswith=f"@{DOMAIN}")
        if reset:
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM customers_order WHERE customer_id IN "
                               "(SELECT id FROM customers_customer WHERE email LIKE %s)",
                               [f"%@{DOMAIN}"])
            fake.delete()
        elif fake.exists():
            raise CommandError(_("This database already has a fake shop; use --reset."))
        rng = random.Random(seed)
        counts = _orders_per_customer(rng, customers, orders)
        now = timezone.now().replace(microsecond=0)
        for start in range(0, customers, CHUNK):
            self._chunk(rng, start, counts[start:start + CHUNK], now)
            self.stdout.write(f"  {min(start + CHUNK, customers)} / {customers} customers")
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("ANALYZE customers_customer")
                cursor.execute("ANALYZE customers_order")
        self.stdout.write(_("Created %(c)d customers and %(o)d orders in %(s).1f s.") % {
            "c": customers, "o": sum(counts), "s": time.perf_counter() - started})

    def _chunk(self, rng, start, counts, now):
        customer_rows, order_rows = [], []
        for offset, n in enumerate(counts):
            number = start + offset
            joined = now - dt.timedelta(seconds=rng.randint(0, HISTORY_DAYS * 86400))
            stats = {"orders_count": n, "total_spent": Decimal("0"), "first_order_at": None,
                     "last_order_at": None}
            placed_times = []
            if n:
                drift = joined + (now - joined) * rng.random() ** 0.5
                span = (drift - joined).total_seconds()
                placed_times = sorted(joined + dt.timedelta(seconds=rng.random() * span)
                                      for _ in range(n))
            customer_orders = []
            for k, placed in enumerate(placed_times):
                total = Decimal(str(round(math.exp(rng.gauss(math.log(45), 0.5)), 2)))
                roll = rng.random()
                refunded, status, paid, cancelled = Decimal("0"), "paid", placed, None
                if roll < 0.02:
                    status, paid, cancelled = "cancelled", None, placed + dt.timedelta(hours=2)
                elif roll < 0.05:
                    status, refunded = "refunded", total
                elif roll < 0.07:
                    status, refunded = "partially_refunded", (total / 2).quantize(CENT)
                if status != "cancelled":
                    stats["total_spent"] += total - refunded
                customer_orders.append({
                    "source": "generic", "external_id": f"fake-{number}-{k}",
                    "name": f"#F{number}-{k}", "status": status, "currency": "EUR",
                    "total": total, "refunded_total": refunded, "placed_at": placed,
                    "paid_at": paid, "cancelled_at": cancelled, "source_updated_at": placed,
                    "created_at": placed,
                })
            counted = [o["placed_at"] for o in customer_orders if o["paid_at"]]
            stats["orders_count"] = len(counted)
            if counted:
                stats["first_order_at"], stats["last_order_at"] = counted[0], counted[-1]
            accepts = rng.random() < 0.6
            customer_rows.append({
                "email": f"fake-{number}@{DOMAIN}", "first_name": rng.choice(FIRST_NAMES),
                "last_name": rng.choice(LAST_NAMES), "accepts_marketing": accepts,
                "marketing_consent_at": joined if accepts else None,
                "marketing_consent_source": "fake" if accepts else "",
                "loyalty_tier": rng.choice(TIERS) if n else "", "created_at": joined,
                "updated_at": now, **stats,
            })
            order_rows.append(customer_orders)
        with transaction.atomic():
            _insert(Customer, customer_rows)
            ids = dict(Customer.objects.filter(
                email__in=[row["email"] for row in customer_rows]).values_list("email", "pk"))
            flat = []
            for row, customer_orders in zip(customer_rows, order_rows, strict=True):
                for order in customer_orders:
                    order["customer_id"] = ids[row["email"]]
                    flat.append(order)
            _insert(Order, flat)


def _insert(model, rows: list[dict]) -> None:
    """Insert rows (field name -> value; other fields get their defaults) with COPY on
    PostgreSQL, bulk_create in chunks elsewhere."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**row) for row in rows], batch_size=2000)
        return
    from psycopg.types.json import Jsonb

    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    defaults = {f.attname: f.get_default() for f in fields}
    names = [f.attname for f in fields]
    wrap = {f.attname for f in fields if isinstance(f, JSONField)}
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                values = []
                for name in names:
                    value = row.get(name, defaults[name])
                    values.append(Jsonb(value) if name in wrap and value is not None else value)
                copy.write_row(values)
