"""/healthz and /readyz for load balancers and orchestrators.

Answered by the first middleware, before the host is checked or HTTPS is required, so a load
balancer can probe each web process directly by its address over plain HTTP."""

import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse

BROKER_TIMEOUT = 2  # seconds


def database_check() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def cache_check() -> None:
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    if cache.get(key) != "1":
        raise RuntimeError("a value written could not be read back")
    cache.delete(key)


def broker_check() -> None:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return  # tasks run in the web process: there is no broker to reach
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT)


CHECKS = {"database": database_check, "broker": broker_check, "cache": cache_check}


def readiness() -> tuple[dict[str, str], bool]:
    """Each dependency's state ("ok" or what failed) and whether all are ok."""
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as error:  # any failure means not ready; say which and why
            results[name] = f"error: {type(error).__name__}: {error}"[:300]
        else:
            results[name] = "ok"
    return results, all(state == "ok" for state in results.values())


class HealthCheckMiddleware:
    """GET /healthz: 200 while the process serves requests. GET /readyz: 200 when the
    database, the broker and the cache answer, else 503 naming the one that failed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz":
            return JsonResponse({"status": "ok"})
        if request.path == "/readyz":
            checks, ready = readiness()
            return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks},
                                status=200 if ready else 503)
        return self.get_response(request)
