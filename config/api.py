"""API wiring: API-key auth and permissions. The one error shape is kernel.api's.

Two kinds of keys: secret keys (`sk_…`, and the older `fw_…`: customers.ApiKey) stay on the
shop's servers and may call the whole API; publishable keys (`pk_…`: storefront.PublishableKey)
sit in the shop's pages and may only call the storefront widget's API
(storefront.apis.IsStorefrontWidget).
A secret key sent by a browser from another website (an `Origin` that is not this service's)
is refused, so a key pasted into a page fails at once instead of leaking quietly."""

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission

from customers.models import ApiKey
from customers.services import api_key_authenticate
from storefront import errors as storefront_errors
from storefront.models import PublishableKey
from storefront.selectors import publishable_key_authenticate


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Bearer <key>`, for the shop's systems."""

    keyword = b"bearer"

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Send exactly one API key after 'Bearer'."))
        raw_key = header[1].decode("latin-1")
        if raw_key.startswith("pk_"):
            api_key = publishable_key_authenticate(raw_key=raw_key)
        else:
            api_key = api_key_authenticate(raw_key=raw_key)
            origin = request.headers.get("Origin")
            if api_key is not None and origin and origin != _own_origin(request):
                raise exceptions.PermissionDenied(
                    storefront_errors.SECRET_KEY_IN_BROWSER, code="secret_key_in_browser")
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


def _own_origin(request) -> str:
    return f"{request.scheme}://{request.get_host()}"


class IsShopSystem(BasePermission):
    """A shop system with a secret key, or a staff member signed in to admin. A publishable
    key is refused (403 `publishable_key_not_allowed`)."""

    def has_permission(self, request, view):
        if isinstance(request.auth, ApiKey):
            return True
        if isinstance(request.auth, PublishableKey):
            raise exceptions.PermissionDenied(storefront_errors.PUBLISHABLE_KEY_REFUSED,
                                              code="publishable_key_not_allowed")
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff)

