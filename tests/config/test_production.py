"""Production defaults that cannot leak, and a service a load balancer can run: e-mail that is
really sent, uploaded images served, health and readiness, JSON answers under /api/, request
ids and JSON logs."""

import io
import json
import logging
import os
from unittest import mock

import pytest
from django.core.checks import run_checks
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from customers.checks import email_is_delivered_in_production
from loyalty.services.tiers import tier_badge_clean
from tests.factories import ProductFactory, TierFactory


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (600, 600), (201, 162, 39)).save(buffer, format="PNG")
    return buffer.getvalue()


# E-mail -----------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["django.core.mail.backends.console.EmailBackend",
                                     "django.core.mail.backends.dummy.EmailBackend"])
def test_a_console_email_backend_in_production_is_a_check_error(settings, backend):
    settings.DEBUG, settings.EMAIL_BACKEND = False, backend

    errors = run_checks(include_deployment_checks=True)

    assert "customers.E002" in [e.id for e in errors if e.is_serious()]


def test_the_console_backend_passes_when_allowed_or_while_debugging(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    settings.DEBUG, settings.ALLOW_CONSOLE_EMAIL = False, True
    assert email_is_delivered_in_production(None) == []
    settings.DEBUG, settings.ALLOW_CONSOLE_EMAIL = True, False
    assert email_is_delivered_in_production(None) == []


def test_smtp_in_production_passes(settings):
    settings.DEBUG = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    assert email_is_delivered_in_production(None) == []


# Uploaded media ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_tier_badge_is_served_with_debug_off(client, settings):
    settings.DEBUG = False
    tier = TierFactory(name="Gold")
    tier.badge.save("gold.webp", tier_badge_clean(
        file=SimpleUploadedFile("gold.png", png(), content_type="image/png")))

    response = client.get(tier.badge.url)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert b"".join(response.streaming_content) == tier.badge.read()
    assert response["Cache-Control"] == f"public, max-age={settings.MEDIA_CACHE_SECONDS}"
    again = client.get(tier.badge.url, HTTP_IF_MODIFIED_SINCE=response["Last-Modified"])
    assert again.status_code == 304


@pytest.mark.django_db
def test_product_images_in_the_api_are_urls_that_answer(api, client):
    product = ProductFactory()
    product.image.save("serum.png", ContentFile(png()))

    response = client.get(product.image.url)

    assert product.image.url.startswith("/media/")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/media/missing.webp", "/media/../config/settings.py",
                                  "/media/%2e%2e/manage.py", "/media/"])
def test_nothing_outside_media_root_is_served(client, path):
    response = client.get(path)
    assert response.status_code in (400, 404)
    assert b"SECRET_KEY" not in response.content and b"django" not in response.content


@pytest.mark.django_db
def test_media_is_read_only(client, settings):
    (settings.MEDIA_ROOT).mkdir(parents=True, exist_ok=True)
    (settings.MEDIA_ROOT / "a.png").write_bytes(png())
    assert client.post("/media/a.png").status_code == 405


# Health and readiness ----------------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_answers_whatever_the_host(client):
    response = client.get("/healthz", HTTP_HOST="10.0.0.12:8000")

    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_says_everything_is_reachable(client):
    response = client.get("/readyz", HTTP_HOST="10.0.0.12:8000")

    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "broker": "ok", "cache": "ok"}


@pytest.mark.django_db
@pytest.mark.parametrize("failing", ["database", "broker", "cache"])
def test_readyz_is_503_naming_what_failed(client, failing):
    with mock.patch.dict("config.health.CHECKS", {
        failing: mock.Mock(side_effect=ConnectionRefusedError("connection refused"))}):
        response = client.get("/readyz")

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks[failing] == "error: ConnectionRefusedError: connection refused"
    assert [name for name, state in checks.items() if state != "ok"] == [failing]


@pytest.mark.django_db
def test_readyz_reaches_a_real_broker(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    from config.celery import app

    real = app.connection_for_write
    with mock.patch.object(app, "connection_for_write",
                           lambda: real(url="redis://127.0.0.1:1/0")):  # nothing listens there
        response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["broker"].startswith("error:")


# JSON under /api/ ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/nothing-here/", "/api/v1/customers/abc/",
                                  "/api/unknown"])
def test_a_404_under_api_is_json_in_the_error_shape(api, path):
    response = api.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.django_db
def test_a_405_under_api_is_json_in_the_error_shape(api):
    response = api.put("/api/v1/rewards/", data={})

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.django_db
def test_a_crash_under_api_is_a_json_500(api, client):
    client.raise_request_exception = False
    with mock.patch("loyalty.apis.selectors.reward_list_available",
                    side_effect=RuntimeError("boom")):
        response = client.get("/api/v1/rewards/", HTTP_AUTHORIZATION=api._credentials[
            "HTTP_AUTHORIZATION"])

    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert "boom" not in response.text


@pytest.mark.django_db
def test_pages_keep_their_html_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


# Request ids and JSON logs ------------------------------------------------------------------


@pytest.mark.django_db
def test_every_response_carries_a_request_id(client):
    first, second = client.get("/"), client.get("/")

    assert len(first["X-Request-ID"]) == 32
    assert first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.django_db
@pytest.mark.parametrize(("trusted", "sent", "kept"), [
    ("1", "lb-4f2a9c", True),
    ("", "lb-4f2a9c", False),  # not through a trusted proxy: anyone could send it
    ("1", "bad id\nwith newline", False),
    ("1", "x" * 129, False),
])
def test_a_request_id_from_a_trusted_proxy_is_kept(client, settings, trusted, sent, kept):
    settings.TRUSTED_PROXIES = trusted

    response = client.get("/", HTTP_X_REQUEST_ID=sent, HTTP_X_FORWARDED_FOR="198.51.100.7")

    assert (response["X-Request-ID"] == sent) is kept


@pytest.mark.django_db
def test_json_logs_carry_the_request_id(client, settings):
    from django.utils.log import configure_logging

    settings.LOGGING["handlers"]["console"]["formatter"] = "json"
    stream = io.StringIO()
    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)
    handler = logging.getLogger().handlers[0]
    handler.setStream(stream)
    try:
        settings.TRUSTED_PROXIES = "1"
        client.get("/api/v1/nothing/", HTTP_X_REQUEST_ID="req-123",
                   HTTP_X_FORWARDED_FOR="198.51.100.7")
    finally:
        settings.LOGGING["handlers"]["console"]["formatter"] = "text"
        configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines, "nothing was logged"
    warning = next(line for line in lines if line["logger"] == "django.request")
    assert warning["request_id"] == "req-123"
    assert warning["level"] == "WARNING" and "Not Found" in warning["message"]
    assert {"time", "level", "logger", "message", "request_id"} <= set(warning)


# Content-Security-Policy -------------------------------------------------------------------


def test_every_answer_carries_the_sites_policy_pages_and_api_alike(client, api, settings):
    settings.DEBUG = False

    page = client.get("/accounts/login/")
    answer = api.get("/api/v1/customers/")

    policy = page["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert answer["Content-Security-Policy"] == policy


@pytest.mark.django_db
def test_a_changed_policy_is_sent_from_the_next_answer(client, settings):
    settings.DEBUG = False
    client.get("/accounts/login/")

    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}

    assert client.get("/accounts/login/")["Content-Security-Policy"] == "default-src 'none'"


def test_an_answer_with_a_policy_of_its_own_keeps_it(rf, settings):
    """As the demo shop's page, served on another origin than the widget's, adds it."""
    from django.http import HttpResponse

    from config.middleware import CSPMiddleware

    settings.DEBUG = False
    response = HttpResponse("page")
    response._csp_update = {"script-src": ["https://loyalty.example.com"]}
    middleware = CSPMiddleware(lambda request: response)
    request = rf.get("/demo/")
    middleware.process_request(request)

    policy = middleware.process_response(request, response)["Content-Security-Policy"]

    assert "script-src 'self' https://loyalty.example.com" in policy


# Pages-only middleware ---------------------------------------------------------------------


def test_the_api_builds_no_message_storage_and_pages_do(rf):
    """Messages are shown on pages; an API request (an order event, thousands a minute) does
    not pay for a cookie and a session backend it never reads."""
    from django.http import HttpResponse

    from config.middleware import MessageMiddleware

    middleware = MessageMiddleware(lambda request: HttpResponse())
    api_request, page_request = rf.post("/api/v1/events/orders/"), rf.get("/account/")
    page_request.session = {}

    middleware(api_request)
    middleware(page_request)

    assert not hasattr(api_request, "_messages")
    assert hasattr(page_request, "_messages")


def test_a_request_without_a_session_cookie_never_looks_up_its_user(rf, settings):
    """Nobody is signed in without a session cookie (every shop system's API call): the saved
    language of a signed-in shopper is not looked for."""
    from django.http import HttpResponse
    from django.utils.functional import SimpleLazyObject

    from customers.middleware import CustomerLanguageMiddleware

    def looked_up():
        raise AssertionError("the user was looked up")

    request = rf.post("/api/v1/events/orders/")
    request.user = SimpleLazyObject(looked_up)

    assert CustomerLanguageMiddleware(lambda request: HttpResponse())(request).status_code == 200

    request = rf.get("/account/", HTTP_COOKIE=f"{settings.SESSION_COOKIE_NAME}=x")
    request.user = SimpleLazyObject(looked_up)
    with pytest.raises(AssertionError, match="looked up"):
        CustomerLanguageMiddleware(lambda request: HttpResponse())(request)


# Long-lived processes ----------------------------------------------------------------------


@pytest.mark.parametrize("loads", [
    "import config.wsgi",  # a gunicorn worker
    # a Celery worker: its pool's processes, or itself with the solo pool
    "import config.celery; from celery.signals import worker_process_init;"
    " worker_process_init.send(sender=None)",
    "import config.celery; from celery.signals import worker_ready; worker_ready.send(sender=None)",
])
def test_a_server_process_keeps_what_it_loaded_out_of_the_garbage_collector(loads):
    """What the web and worker processes load at start is frozen (a full collection would walk
    it over and over: a fifth of the ingest worker's CPU) and the youngest generation is
    collected less often."""
    import subprocess
    import sys

    from config.runtime import GC_THRESHOLD

    script = f"{loads}; import gc; print(*gc.get_threshold(), gc.get_freeze_count())"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120, env={**os.environ,
                                              "DJANGO_SETTINGS_MODULE": "config.settings"})

    *threshold, frozen = map(int, result.stdout.split())
    assert tuple(threshold) == GC_THRESHOLD
    assert frozen > 10_000
