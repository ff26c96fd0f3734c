"""Pages of the storefront: /embed.js itself, and the demo shop (`make demo`) that embeds it
the way a real shop would, signing its logged-in shopper on the server."""

import json
import time
from functools import cache
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET, require_POST

from quizzes.models import Product

from .models import PublishableKey
from .services import shopper_signature

STATIC = Path(__file__).parent / "static" / "storefront"
DEMO_KEY_NAME = "Demo shop"
DEMO_SHOPPER = {"customer_id": "demo-1001", "email": "shopper@flywheel.local"}


@cache
def _embed_source() -> str:
    """embed.js with embed.css inlined (one request, and the widget's styles live in its
    shadow root). No build step: a string replacement when the file is first served."""
    script = (STATIC / "embed.js").read_text(encoding="utf-8")
    css = (STATIC / "embed.css").read_text(encoding="utf-8")
    return script.replace('/*__CSS__*/""', json.dumps(css))


def embed_source() -> str:
    if settings.DEBUG:
        _embed_source.cache_clear()
    return _embed_source()


@require_GET
@gzip_page
def embed_js(request):
    response = HttpResponse(embed_source(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    response["Timing-Allow-Origin"] = "*"  # shops may measure what it costs them
    return response


def _demo_key() -> PublishableKey:
    key = PublishableKey.objects.filter(name=DEMO_KEY_NAME, revoked_at__isnull=True).first()
    if key is None or not settings.DEMO_SHOP:
        raise Http404("No demo shop")
    return key


def demo_shop(request):
    """A small sample shop page, as a shop's own theme would render it: its products, the
    script tag, a quiz placeholder and a referral link; signed in (fake login), the script tag
    also carries the shopper's signature, computed here on the "shop's server"."""
    key = _demo_key()
    flywheel = settings.DEMO_SHOP_FLYWHEEL_URL or f"{request.scheme}://{request.get_host()}"
    shopper = None
    if request.session.get("demo_shop_shopper"):
        timestamp = int(time.time())
        shopper = {**DEMO_SHOPPER, "timestamp": timestamp,
                   "signature": shopper_signature(secret=key.signing_secret,
                                                  timestamp=timestamp, **DEMO_SHOPPER)}
    response = render(request, "storefront/demo_shop.html", {
        "key": key, "flywheel": flywheel, "shopper": shopper,
        "products": Product.objects.filter(active=True).order_by("name")[:6],
    })
    if flywheel != f"{request.scheme}://{request.get_host()}":
        # django-csp: this page may load the widget and call its API on Flywheel's origin.
        response._csp_update = {"script-src": [flywheel], "connect-src": [flywheel],
                                "img-src": [flywheel]}
    return response


@require_POST
def demo_shop_login(request):
    _demo_key()
    request.session["demo_shop_shopper"] = request.POST.get("action") != "logout"
    return redirect("demo_shop")
