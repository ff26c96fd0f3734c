"""CPU of one API request inside the web process, order event against the bare baseline.

Run by test_web_path.py in a process of its own with the benchmark's production settings
(tests.benchmarks.settings, DEBUG off, a real broker): each request goes through the WSGI
handler, every middleware, DRF and the database, but not gunicorn or a socket, so the
comparison is not drowned by the HTTP server or by other processes on the machine.
"""

import io
import json
import os
import sys
import time
import uuid

import django

REQUESTS = int(os.environ.get("BENCH_WEB_PATH_REQUESTS", "1500"))
ROUNDS = 3  # the best of three: CPU time on a shared machine only ever gets worse


def main() -> None:
    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection

    from customers import services
    from tests.conftest import order_event

    app = WSGIHandler()
    _, raw_key = services.api_key_create(name="Web path benchmark")
    run = uuid.uuid4().hex[:8]

    def post(path: str, body: bytes, idempotency_key: str = "") -> None:
        environ = {
            "REQUEST_METHOD": "POST", "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1", "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
            "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": "application/json", "HTTP_AUTHORIZATION": f"Bearer {raw_key}",
            "HTTP_USER_AGENT": "python-requests/2.32", "HTTP_ACCEPT": "*/*",
        }
        if idempotency_key:
            environ["HTTP_IDEMPOTENCY_KEY"] = idempotency_key
        answer = []
        response = app(environ, lambda status, headers, *_: answer.append(status))
        b"".join(response)
        response.close()
        assert answer[0][:3] in ("201", "202"), (path, answer, body[:80])

    def baseline(i: int) -> None:
        post("/bench/baseline/", json.dumps({"id": str(i)}).encode())

    def order(i: int, keyed: bool = False) -> None:
        body = json.dumps(order_event(
            id=f"web-{run}-{keyed}-{i}",
            customer={"id": f"c-{run}-{i}", "email": f"web-{run}-{i}@example.com",
                      "first_name": "Ada", "last_name": "Lovelace", "accepts_marketing": True},
        )).encode()
        post("/api/v1/events/orders/", body, f"web-{run}-{i}" if keyed else "")

    cases = {
        "baseline request": baseline,
        "order event": order,
        "order event with an Idempotency-Key": lambda i: order(i, keyed=True),
    }
    def statements_of(send, i: int) -> int:
        """The SQL statements one request runs."""
        statements = []

        def count(execute, sql, params, many, context):
            statements.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            send(i)
        return len(statements)

    counter = iter(range(10**9))
    for send in cases.values():  # warm up: connections, imports, the key's first use
        for _ in range(100):
            send(next(counter))

    results = {}
    for label, send in cases.items():
        statements = statements_of(send, next(counter))
        best = float("inf")
        for _ in range(ROUNDS):
            started = time.process_time()
            for _ in range(REQUESTS):
                send(next(counter))
            best = min(best, (time.process_time() - started) / REQUESTS * 1000)
        results[label] = (best, statements)

    base = results["baseline request"][0]
    print(f"web path in-process ({connection.vendor}, best of {ROUNDS} x {REQUESTS} requests):")
    for label, (ms, statements) in results.items():
        print(f"  {label}: {ms:.2f} ms CPU, {statements} statements, "
              f"ratio to baseline {ms / base:.2f}")


if __name__ == "__main__":
    main()
