"""The OpenAPI schema tells the truth about errors: drf-spectacular's AutoSchema, plus the error
answers every Flywheel view can give, each in the one error shape."""

from drf_spectacular import openapi
from rest_framework.permissions import AllowAny

BODY_METHODS = {"POST", "PUT", "PATCH"}


class AutoSchema(openapi.AutoSchema):
    def _error_statuses(self) -> set[int]:
        from config.api import ApiKeyAuthentication  # imported late: the views import this

        view, statuses = self.view, set()
        parameters = self._get_parameters()
        if self.method in BODY_METHODS:
            statuses |= {400, 415}
        if any(parameter["in"] == "query" for parameter in parameters):
            statuses.add(400)
        if any(isinstance(a, ApiKeyAuthentication) for a in view.get_authenticators()):
            statuses.add(401)  # a missing, unknown or revoked key
        if not all(isinstance(p, AllowAny) for p in view.get_permissions()):
            statuses.add(403)  # signed in without the right (staff, or a shopper profile)
        if any(parameter["in"] == "path" for parameter in parameters) or "/me/" in self.path:
            statuses.add(404)
        if getattr(view, "throttle_scope", None):
            statuses.add(429)
        return statuses

    def _get_response_bodies(self, direction="response"):
        from kernel.api import ErrorSerializer

        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for status in sorted(self._error_statuses()):
            code = str(status)
            if code not in responses:
                responses[code] = self._get_response_for_code(ErrorSerializer, code,
                                                              direction=direction)
        if "429" in responses:
            responses["429"]["headers"] = {"Retry-After": {
                "schema": {"type": "integer"}, "required": True,
                "description": "Seconds until the client may try again."}}
        return responses
