"""The API's pagination: `limit` and `offset`, and a clear 400 when either isn't a whole number
in range (DRF's own silently ignores them)."""

from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.exceptions import ValidationError

from kernel.models import ID_MAX


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    max_limit = 500

    def _number(self, request, name: str, minimum: int, maximum: int) -> int | None:
        raw = request.query_params.get(name)
        if raw is None:
            return None
        try:
            value = int(raw)
        except ValueError:
            value = None
        if value is None or not minimum <= value <= maximum:
            raise ValidationError({name: _("A whole number from %(min)d to %(max)d.")
                                   % {"min": minimum, "max": maximum}})
        return value

    def get_limit(self, request):
        limit = self._number(request, self.limit_query_param, 1, self.max_limit)
        return self.default_limit if limit is None else limit

    def get_offset(self, request):
        return self._number(request, self.offset_query_param, 0, ID_MAX) or 0

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        bounds = {self.limit_query_param: {"minimum": 1, "maximum": self.max_limit},
                  self.offset_query_param: {"minimum": 0, "maximum": ID_MAX}}
        for parameter in parameters:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
        return parameters
