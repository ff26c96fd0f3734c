"""Order ingestion end to end, against a bare DRF endpoint on the same stack.

Flywheel's rate counts from the first POST until the worker has applied the last event; the
baseline's from its first request to its last answer. Target: ratio >= 0.5.
"""

import json
import threading
import time
import uuid
from urllib.parse import urlparse

import psycopg
import requests

from tests.conftest import order_event

from .cpu import backends_cpu, tree_cpu, used

CLIENT_THREADS = 8
SECONDS = 12  # aimed duration of each measurement
WARM_UP = 150


def post_all(stack, path: str, bodies: list[str]) -> tuple[list[requests.Response], float]:
    """POST every body from CLIENT_THREADS keep-alive sessions; the answers and seconds."""
    responses: list = [None] * len(bodies)
    errors: list[Exception] = []

    def send(offset: int):
        with requests.Session() as session:
            session.headers.update({"Authorization": f"Bearer {stack.api_key}",
                                    "Content-Type": "application/json"})
            try:
                for i in range(offset, len(bodies), CLIENT_THREADS):
                    responses[i] = session.post(stack.base_url + path, data=bodies[i],
                                                timeout=30)
            except requests.RequestException as exc:
                errors.append(exc)

    threads = [threading.Thread(target=send, args=(t,)) for t in range(CLIENT_THREADS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    assert errors == []
    return responses, elapsed


class CpuMeter:
    """CPU used by the client (this process), gunicorn, the Celery worker and PostgreSQL."""

    def __init__(self, stack, db):
        self.stack, self.db = stack, db
        self.database = urlparse(stack.database_url).path.lstrip("/")

    def snapshot(self) -> dict:
        worker = tree_cpu(self.stack.worker_pid)
        main = {pid: cpu for pid, cpu in worker.items() if pid == self.stack.worker_pid}
        return {"client": {0: time.process_time()}, "web": tree_cpu(self.stack.web_pid),
                "worker main": main,
                "worker pool": {pid: cpu for pid, cpu in worker.items() if pid not in main},
                "database": backends_cpu(self.db, self.database)}

    def per_item_ms(self, before: dict, count: int) -> dict[str, float]:
        after = self.snapshot()
        return {part: used(before[part], after[part]) / count * 1000 for part in after}


def cpu_line(label: str, ms: dict[str, float]) -> str:
    parts = ", ".join(f"{part} {value:.1f}" for part, value in ms.items())
    return f"{label}: {sum(ms.values()):.1f} ms CPU each ({parts})"


def sized(rate: float) -> int:
    return max(200, min(20_000, int(rate * SECONDS)))


def baseline_rate(stack, meter: CpuMeter) -> tuple[float, dict]:
    def run(count: int) -> tuple[float, dict]:
        bodies = [json.dumps({"id": str(i)}) for i in range(count)]
        before = meter.snapshot()
        responses, elapsed = post_all(stack, "/bench/baseline/", bodies)
        assert {r.status_code for r in responses} == {201}
        return count / elapsed, meter.per_item_ms(before, count)

    return run(sized(run(WARM_UP * 2)[0]))


def order_bodies(run: str, count: int) -> list[str]:
    return [
        json.dumps(order_event(
            id=f"bench-{run}-{i}", name=f"#B{i}",
            customer={"id": f"c-{run}-{i}", "email": f"shopper-{run}-{i}@example.com",
                      "first_name": "Ada", "last_name": "Lovelace", "accepts_marketing": True},
        ))
        for i in range(count)
    ]


def wait_until_applied(db, delivery_ids: list[int], timeout: float) -> float:
    """Wait for the worker to settle every delivery; when it applied the last, as a timestamp."""
    deadline = time.monotonic() + timeout
    while True:
        waiting, last = db.execute(
            "SELECT count(*) FILTER (WHERE status = 'received'), max(processed_at)"
            " FROM customers_webhookdelivery WHERE id = ANY(%s)", [delivery_ids],
        ).fetchone()
        if not waiting:
            return last.timestamp()
        assert time.monotonic() < deadline, f"{waiting} deliveries still waiting"
        time.sleep(0.1)


def flywheel_rate(stack, db, meter: CpuMeter) -> tuple[float, float, int, dict]:
    """Events per second end to end, events per second accepted by the API, events, and the
    CPU each event cost."""

    def run(count: int) -> tuple[float, float, dict]:
        run_id = uuid.uuid4().hex[:8]
        bodies = order_bodies(run_id, count)
        before = meter.snapshot()
        started = time.time()
        responses, posting = post_all(stack, "/api/v1/events/orders/", bodies)
        assert {r.status_code for r in responses} == {202}
        delivery_ids = [r.json()["delivery_id"] for r in responses]
        finished = wait_until_applied(db, delivery_ids, timeout=90)
        statuses = db.execute(
            "SELECT status, count(*) FROM customers_webhookdelivery WHERE id = ANY(%s)"
            " GROUP BY status", [delivery_ids],
        ).fetchall()
        assert statuses == [("processed", count)]
        orders = db.execute("SELECT count(*) FROM customers_order WHERE external_id LIKE %s",
                            [f"bench-{run_id}-%"]).fetchone()[0]
        assert orders == count
        return count / (finished - started), count / posting, meter.per_item_ms(before, count)

    count = sized(run(WARM_UP)[0])
    flywheel, accepted, cpu = run(count)
    return flywheel, accepted, count, cpu


def test_ingestion_end_to_end_against_a_bare_endpoint(stack):
    with psycopg.connect(stack.database_url, autocommit=True) as db:
        meter = CpuMeter(stack, db)
        baseline, baseline_cpu = baseline_rate(stack, meter)
        flywheel, accepted, count, flywheel_cpu = flywheel_rate(stack, db, meter)

    print(f"\n{stack.description}, {CLIENT_THREADS} client threads, {count} events "
          f"(the API accepted them at {accepted:.1f}/s)")
    print(f"ingestion: {flywheel:.1f} events/s end to end, baseline {baseline:.1f} req/s, "
          f"ratio {flywheel / baseline:.2f} (target >= 0.5)")
    print(cpu_line("baseline request", baseline_cpu))
    print(cpu_line("Flywheel event", flywheel_cpu))
