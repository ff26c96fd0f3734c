"""API wiring: API-key auth and permissions. The one error shape is kernel.api's."""

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission

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
