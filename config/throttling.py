"""Throttles: how often one client may do one thing, counted in the shared cache.

A throttle has a scope ("nps_answers") and a rate in settings.THROTTLE_RATES ("30/minute").
Requests are counted per identity in fixed windows: an API key when the caller sent one, else
a signed-in user, else the client address (IPv6 by its /64). Every web process increments the
same counter (cache.add then cache.incr are atomic in Redis), so they all agree; a client
over the rate is answered 429 with Retry-After until its window ends.

API views name their scope with `throttle_scope` (ScopedThrottle is DRF's default throttle);
shopper pages are listed in PAGE_SCOPES and throttled by PageThrottleMiddleware, which answers
HTML. Login failures are counted by django-axes, whose lockout page comes from `lockout`.
"""

import math
import time

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.shortcuts import render
from django.utils.translation import gettext as _
from rest_framework.throttling import BaseThrottle

from config.middleware import ipv6_prefix
from kernel.emails import email_normalise

PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}

# Shopper pages: URL name -> (scope, the methods counted).
PAGE_SCOPES = {
    "referral_landing": ("referral_signups", {"POST"}),
    "nps_answer": ("nps_answers", {"GET", "POST"}),
    "nps_thanks": ("nps_answers", {"POST"}),
    "quiz_start": ("quiz_pages", {"POST"}),
    "quiz_question": ("quiz_pages", {"POST"}),
    "signup": ("signups", {"POST"}),
    "signup_confirm": ("signups", {"GET"}),
    "password_reset": ("password_resets", {"POST"}),
    "password_reset_confirm": ("password_resets", {"GET", "POST"}),
}


def parse_rate(rate: str) -> tuple[int, int]:
    """'30/minute' -> (30, 60)."""
    count, _sep, period = rate.partition("/")
    try:
        return int(count), PERIODS[period.strip().rstrip("s")]
    except (ValueError, KeyError):
        raise ImproperlyConfigured(
            f"A throttle rate is '<count>/<second|minute|hour|day>', not {rate!r}.") from None


def throttle_hit(*, scope: str, ident: str, now: float | None = None) -> int | None:
    """Count one request of `ident` in `scope`. None when it is allowed (or the scope has no
    rate); else the seconds until the client's window ends."""
    rate = settings.THROTTLE_RATES.get(scope)
    if not rate:
        return None
    limit, period = parse_rate(rate)
    now = time.time() if now is None else now
    window = int(now // period)
    key = f"throttle:{scope}:{ident}:{window}"
    cache = caches[settings.THROTTLE_CACHE]
    cache.add(key, 0, timeout=period + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add and incr: this request opens a window
        cache.add(key, 1, timeout=period + 1)
        count = 1
    if count <= limit:
        return None
    return max(1, math.ceil((window + 1) * period - now))


def request_ident(request) -> str:
    """Who is counted: the API key, else the signed-in user, else the client address."""
    auth = getattr(request, "auth", None)
    api_key_id = getattr(auth, "pk", None)
    # A publishable key is every shopper of the shop: they are counted by address.
    if api_key_id is not None and not getattr(auth, "throttle_by_address", False):
        return f"key:{api_key_id}"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"addr:{ipv6_prefix(request.META.get('REMOTE_ADDR', ''))}"


class ScopedThrottle(BaseThrottle):
    """DRF's throttle for views with a `throttle_scope`; the others are not throttled."""

    def allow_request(self, request, view) -> bool:
        scope = getattr(view, "throttle_scope", None)
        self.retry_after = throttle_hit(scope=scope, ident=request_ident(request)) if scope \
            else None
        return self.retry_after is None

    def wait(self) -> int | None:
        return self.retry_after


def too_many_requests(request, retry_after: int, message: str = ""):
    """The 429 page shoppers see, with Retry-After."""
    response = render(request, "429.html", {
        "message": message or _("You have done this too often in a short time."),
        "minutes": max(1, math.ceil(retry_after / 60)),
    }, status=429)
    response["Retry-After"] = str(retry_after)
    return response


class PageThrottleMiddleware:
    """Throttle the shopper pages of PAGE_SCOPES (an HTML 429 page)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        scope, methods = PAGE_SCOPES.get(match.url_name if match else None, (None, ()))
        if request.method not in methods:
            return None
        retry_after = throttle_hit(scope=scope, ident=request_ident(request))
        return None if retry_after is None else too_many_requests(request, retry_after)


def lockout(request, original_response=None, credentials=None):
    """django-axes: the page for a client locked out after too many failed logins."""
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    return too_many_requests(request, seconds, _("Too many failed logins from your network "
                                                 "or for this email address."))


def login_username(request, credentials=None) -> str:
    """django-axes: the email a login tried, as the login form reads it (case-insensitive),
    so changing its capitals doesn't start a new count."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    return email_normalise(str(username))
