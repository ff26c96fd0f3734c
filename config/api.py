"""API wiring shared by every app: API-key auth, permissions and the one error shape."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from customers.errors import FlywheelError, flatten_errors
from customers.services import api_key_authenticate


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Bearer <key>`, for the shop's systems."""

    keyword = b"bearer"

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Send exactly one API key after 'Bearer'."))
        api_key = api_key_authenticate(raw_key=header[1].decode("latin-1"))
        if api_key is None:
            raise exceptions.AuthenticationFailed(_("Unknown or revoked API key."))
        return (None, api_key)

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer"}


class IsShopSystem(BasePermission):
    """A shop system with an API key, or a staff member signed in to admin."""

    def has_permission(self, request, view):
        if request.auth is not None:
            return True
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff)


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
