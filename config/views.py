"""Views the project serves itself: JSON error answers under /api/, and uploaded media."""

from django.conf import settings
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults, static
from django.views.decorators.http import require_safe

API_PREFIX = "/api/"


def _error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "fields": {}}},
                        status=status)


def bad_request(request, exception):
    if request.path.startswith(API_PREFIX):
        return _error("bad_request", _("The request could not be understood."), 400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if request.path.startswith(API_PREFIX):
        return _error("permission_denied",
                      _("You do not have permission to perform this action."), 403)
    return defaults.permission_denied(request, exception)


def not_found(request, exception):
    if request.path.startswith(API_PREFIX):
        return _error("not_found", _("Nothing is at this address."), 404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if request.path.startswith(API_PREFIX):
        return _error("internal_error", _("Something went wrong on our side; it was logged."),
                      500)
    return defaults.server_error(request)


@require_safe
def media(request, path: str):
    """An uploaded file from MEDIA_ROOT (badges, quiz pictures, product images: all re-encoded
    by Pillow on upload), cacheable by browsers and proxies, answering 304 when unchanged."""
    response = static.serve(request, path, document_root=settings.MEDIA_ROOT)
    response["Cache-Control"] = f"public, max-age={settings.MEDIA_CACHE_SECONDS}"
    return response
