"""The API's one error shape, {"error": {"code", "message", "fields"}}: its schema, the
exception handler that answers every error in it, and the base view of the shopper's /me/ API."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from kernel.errors import FlywheelError, flatten_errors
from kernel.shoppers import shopper_required

ErrorSerializer = inline_serializer("Error", {"error": inline_serializer("ErrorBody", {
    "code": serializers.CharField(), "message": serializers.CharField(),
    "fields": serializers.DictField(child=serializers.CharField()),
})})


IDEMPOTENCY_KEY_MAX = 128
IdempotencyKeyParameter = {"type": "string", "maxLength": IDEMPOTENCY_KEY_MAX}


def idempotency_key(request) -> str:
    """The request's Idempotency-Key header; one over 128 characters is a 400, never cut (two
    keys cut alike would collide)."""
    key = request.headers.get("Idempotency-Key", "")
    if len(key) > IDEMPOTENCY_KEY_MAX:
        raise FlywheelError(
            _("The Idempotency-Key is %(n)d characters; at most %(max)d are taken.")
            % {"n": len(key), "max": IDEMPOTENCY_KEY_MAX}, code="idempotency_key_too_long",
            fields={"Idempotency-Key": _("At most %(max)d characters.")
                    % {"max": IDEMPOTENCY_KEY_MAX}})
    return key


def error_response(code: str, message: str, fields: dict | None = None, *, status_code: int):
    return Response(FlywheelError(message, code=code, fields=fields).as_body(),
                    status=status_code)


def exception_handler(exc, context):
    """Every API error as {"error": {"code", "message", "fields"}}, never a bare 500 for
    input the caller got wrong."""
    if isinstance(exc, FlywheelError):
        return Response(exc.as_body(), status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, exceptions.ValidationError):
        response = error_response(
            "invalid", _("Some fields are not valid."), flatten_errors(exc.detail),
            status_code=exc.status_code,
        )
    else:
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
        response = error_response(code, exc.detail, status_code=exc.status_code)
    for name, value in headers.items():
        response[name] = value
    return response


# An API of the signed-in shopper, under /me/: their session (with CSRF), and
# `self.shopper(request)` their customer profile, or the error `no_customer` (404) when the
# login has none or it was erased. (A comment, not a docstring: drf-spectacular would publish
# a docstring as every subclass's description.)
class ShopperApi(APIView):

    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAuthenticated]

    def shopper(self, request):
        return shopper_required(request)
