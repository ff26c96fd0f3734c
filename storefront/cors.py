"""CORS for the storefront widget's API: browsers on the shops' own origins (admin →
Storefronts → allowed origins) may call /api/v1/storefront/; every other origin gets no CORS
headers, so its browser refuses to read the answer, and its preflight is refused.

A small middleware rather than django-cors-headers: the allowed origins are rows edited in
admin (per publishable key) rather than settings, only one path prefix is concerned, and the
per-key check ("this key, from this origin") has to live in the API's permission anyway."""

from django.http import JsonResponse
from django.utils.translation import gettext as _

from .selectors import origins_all

PREFIX = "/api/v1/storefront/"
ALLOWED_HEADERS = "authorization, content-type, accept-language, x-flywheel-shopper"
MAX_AGE = "600"


class StorefrontCorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        origin = request.headers.get("Origin")
        if not origin or not request.path.startswith(PREFIX):
            return self.get_response(request)
        allowed = origin.rstrip("/").lower() in origins_all()
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            if not allowed:
                response = JsonResponse({"error": {
                    "code": "origin_not_allowed", "fields": {},
                    "message": _("This website may not use the storefront API.")}}, status=403)
            else:
                response = JsonResponse({}, status=200)
                response["Access-Control-Allow-Methods"] = "GET, POST"
                response["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
                response["Access-Control-Max-Age"] = MAX_AGE
        else:
            response = self.get_response(request)
        if allowed:
            response["Access-Control-Allow-Origin"] = origin
        response["Vary"] = ", ".join(filter(None, [response.get("Vary"), "Origin"]))
        return response
