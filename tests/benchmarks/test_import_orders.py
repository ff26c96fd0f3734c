"""`import_orders` against pgbench posting orders one per transaction, and its memory.

Runs on the test database of DATABASE_URL (PostgreSQL). Each round, pgbench (PostgreSQL's
client tools) posts orders for BENCH_SECONDS (at most 10 s) from one client, one order per
transaction (an insert and a balance update, the floor of any order posting), then
`manage.py import_orders` loads a CSV of BENCH_IMPORT_ORDERS new orders (default 50,000;
2,000 in bench-quick; two lines each, four orders per customer, one in ten partly refunded)
in a process of its own.
Printed: the import's orders per second ÷ pgbench's transactions per second (target >= 1.0),
median and spread over the rounds, and the import's peak memory (ru_maxrss) for
BENCH_IMPORT_ORDERS and for a tenth of them, so that memory growing with the file shows.
"""

import csv
import datetime as dt
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from customers.models import Order

from .conftest import BASE_DIR, BIN, bench_env
from .load import QUICK, ROUNDS, SECONDS, Figure, load_average, record

ORDERS = int(os.environ.get("BENCH_IMPORT_ORDERS", "2000" if QUICK else "50000"))
PGBENCH_SECONDS = max(1, min(10, round(SECONDS)))
PGBENCH_ACCOUNTS = 10_000
PGBENCH_SCRIPT = """\\set customer random(1, {accounts})
BEGIN;
INSERT INTO bench_posting_order (customer_id, total, placed_at) VALUES (:customer, 35.00, now());
UPDATE bench_posting_balance SET balance = balance + 35.00 WHERE id = :customer;
END;
"""


def write_orders(path: Path, *, orders: int, prefix: str) -> None:
    """A CSV export as a shop gives it: one row per order line, an order's rows together."""
    placed = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([
            "order_id", "order_name", "status", "placed_at", "updated_at", "currency", "total",
            "refunded_total", "customer_id", "email", "first_name", "last_name", "sku",
            "line_name", "quantity", "price", "discount_codes"])
        for n in range(orders):
            customer = n % max(1, orders // 4)
            at = (placed + dt.timedelta(minutes=n)).isoformat()
            refunded = "10.00" if n % 10 == 0 else "0"
            status = "partially_refunded" if n % 10 == 0 else "paid"
            for sku, name, price in (("SER-1", "Serum", "20.00"), ("SPF-1", "Sun fluid", "15.00")):
                writer.writerow([
                    f"{prefix}-{n}", f"#{n}", status, at, at, "EUR", "35.00", refunded,
                    f"{prefix}-c{customer}", f"{prefix}-{customer}@example.com", "Ada",
                    f"Last{customer}", sku, name, "1", price, "WELCOME10" if n % 7 == 0 else ""])


def pgbench_tps(database: str) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(PGBENCH_SCRIPT.format(accounts=PGBENCH_ACCOUNTS))
    try:
        result = subprocess.run(
            ["pgbench", "-n", "-c", "1", "-j", "1", "-T", str(PGBENCH_SECONDS), "-f",
             script.name, "-h", "127.0.0.1", "-U", "postgres", database],
            capture_output=True, text=True, timeout=PGBENCH_SECONDS + 120)
    finally:
        Path(script.name).unlink()
    assert result.returncode == 0, result.stdout + result.stderr
    found = re.search(r"tps = ([0-9.]+)", result.stdout)
    assert found, result.stdout
    return float(found.group(1))


def import_file(path: Path, env: dict) -> tuple[float, int]:
    """Seconds and peak resident memory (bytes) of `manage.py import_orders path`."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(BIN / "python"), "manage.py", "import_orders", str(path), "-v", "0"],
        cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    out, err = process.stdout.read(), process.stderr.read()
    assert process.returncode == 0, (out + err).decode(errors="replace")
    return elapsed, usage.ru_maxrss * 1024  # kilobytes on Linux


@pytest.mark.django_db(transaction=True)
def test_import_orders_keeps_up_with_pgbench_in_flat_memory(tmp_path):
    database = settings.DATABASES["default"]["NAME"]
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_posting_order (id bigserial PRIMARY KEY, "
                       "customer_id integer NOT NULL, total numeric(12, 2) NOT NULL, "
                       "placed_at timestamptz NOT NULL)")
        cursor.execute("CREATE TABLE bench_posting_balance (id integer PRIMARY KEY, "
                       "balance numeric(12, 2) NOT NULL)")
        cursor.execute("INSERT INTO bench_posting_balance SELECT i, 0 FROM "
                       f"generate_series(1, {PGBENCH_ACCOUNTS}) AS i")
    server = settings.DATABASES["default"]
    env = bench_env(f"postgres://{server['USER']}@{server['HOST']}:{server['PORT']}/{database}")
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"

    small = max(1, ORDERS // 10)
    write_orders(tmp_path / "small.csv", orders=small, prefix="small")
    _seconds, small_memory = import_file(tmp_path / "small.csv", env)

    figure = Figure(path=f"import_orders, {ORDERS:,} orders ÷ pgbench posting tps",
                    target=">= 1.0")
    memory = []
    for round_ in range(ROUNDS):
        path = tmp_path / f"round{round_}.csv"
        write_orders(path, orders=ORDERS, prefix=f"r{round_}")
        tps = pgbench_tps(database)
        seconds, peak = import_file(path, env)
        memory.append(peak)
        figure.ratios.append(ORDERS / seconds / tps)
        figure.loads.append(load_average())
        print(f"\n  round {round_ + 1}: pgbench {tps:,.0f} tps; import {ORDERS:,} orders in "
              f"{seconds:.1f} s ({ORDERS / seconds:,.0f} orders/s), peak memory "
              f"{peak / 2**20:.0f} MB; {load_average()}")
        path.unlink()

    assert Order.objects.count() == small + ROUNDS * ORDERS
    figure.detail = (f"  peak memory: {small:,} orders {small_memory / 2**20:.0f} MB, "
                     f"{ORDERS:,} orders {max(memory) / 2**20:.0f} MB")
    record(figure)
