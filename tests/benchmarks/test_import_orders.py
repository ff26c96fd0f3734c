"""`import_orders` against pgbench posting orders one per transaction, and its memory.

Runs on the test database of DATABASE_URL (PostgreSQL). pgbench (PostgreSQL's client tools)
posts orders from one client, one order per transaction (an insert and a balance update, the
floor of any order posting), for BENCH_SECONDS (5 to 10 s); `manage.py import_orders` loads a
CSV of BENCH_IMPORT_ORDERS new orders (default 50,000; 2,000 in bench-quick; two lines each,
four orders per customer, one in ten partly refunded) in a process of its own.

The two alternate, pgbench on both sides of every import (pgbench, import, pgbench, import,
..., pgbench), after a warm-up of each (a pgbench run and an import, not counted): a round's
floor is the mean of the pgbench runs just before and just after its import, so a change in
the shared disk's commit latency during the round touches both sides. Before each side
the database gets what autovacuum would have done (`autovacuum_stand_in`). pgbench's tps leaves
out its connecting; the import's rate leaves out its process starting likewise: the command
runs in a process of its own (`call_command`, as `manage.py import_orders` runs it) and is
timed from after Django's setup to its end; the process's whole time is printed too.
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

from .conftest import BASE_DIR, BIN, SERVER, autovacuum_stand_in, bench_env
from .load import QUICK, ROUNDS, SECONDS, Figure, load_average, record

ORDERS = int(os.environ.get("BENCH_IMPORT_ORDERS", "2000" if QUICK else "50000"))
PGBENCH_SECONDS = max(5, min(10, round(SECONDS)))
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


def pgbench_tps(database: str, seconds: int = PGBENCH_SECONDS) -> float:
    autovacuum_stand_in(f"{SERVER}/{database}")
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(PGBENCH_SCRIPT.format(accounts=PGBENCH_ACCOUNTS))
    try:
        result = subprocess.run(
            ["pgbench", "-n", "-c", "1", "-j", "1", "-T", str(seconds), "-f",
             script.name, "-h", "127.0.0.1", "-U", "postgres", database],
            capture_output=True, text=True, timeout=seconds + 120)
    finally:
        Path(script.name).unlink()
    assert result.returncode == 0, result.stdout + result.stderr
    found = re.search(r"tps = ([0-9.]+)", result.stdout)
    assert found, result.stdout
    return float(found.group(1))


# `manage.py import_orders PATH -v 0`, timed from after Django's setup.
IMPORT = """import sys, time, django
django.setup()
from django.core.management import call_command
started = time.perf_counter()
call_command("import_orders", sys.argv[1], verbosity=0)
print("IMPORT_SECONDS", time.perf_counter() - started)
"""


def import_file(path: Path, env: dict) -> tuple[float, float, int]:
    """The seconds `import_orders path` took once Django was set up, the seconds of its whole
    process, and its peak resident memory (bytes)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(BIN / "python"), "-c", IMPORT, str(path)],
        cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(process.pid, 0)  # its output is a line: the pipes hold it
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    out, err = process.stdout.read(), process.stderr.read()
    assert process.returncode == 0, (out + err).decode(errors="replace")
    found = re.search(rb"IMPORT_SECONDS ([0-9.]+)", out)
    assert found, (out + err).decode(errors="replace")
    return float(found.group(1)), elapsed, usage.ru_maxrss * 1024  # kilobytes on Linux


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

    # Warm-up, not counted: the small import (its memory is the figure for a tenth of the
    # orders) and a pgbench run.
    small = max(1, ORDERS // 10)
    write_orders(tmp_path / "small.csv", orders=small, prefix="small")
    _seconds, _whole, small_memory = import_file(tmp_path / "small.csv", env)
    pgbench_tps(database, seconds=3)

    figure = Figure(path=f"import_orders, {ORDERS:,} orders ÷ pgbench posting tps",
                    target=">= 1.0")
    memory = []
    before = pgbench_tps(database)
    for round_ in range(ROUNDS):
        path = tmp_path / f"round{round_}.csv"
        write_orders(path, orders=ORDERS, prefix=f"r{round_}")
        autovacuum_stand_in(env["DATABASE_URL"])
        seconds, whole, peak = import_file(path, env)
        after = pgbench_tps(database)
        tps = (before + after) / 2
        memory.append(peak)
        figure.ratios.append(ORDERS / seconds / tps)
        figure.loads.append(load_average())
        print(f"\n  round {round_ + 1}: pgbench {before:,.0f} and {after:,.0f} tps; import "
              f"{ORDERS:,} orders in {seconds:.1f} s ({ORDERS / seconds:,.0f} orders/s; its "
              f"process {whole:.1f} s), peak memory {peak / 2**20:.0f} MB; {load_average()}")
        path.unlink()
        before = after

    assert Order.objects.count() == small + ROUNDS * ORDERS
    figure.detail = (f"  peak memory: {small:,} orders {small_memory / 2**20:.0f} MB, "
                     f"{ORDERS:,} orders {max(memory) / 2**20:.0f} MB")
    record(figure)
