"""Serializer fields for API input that take JSON as the schema says: text only from strings.
DRF's own turn a number into text (`"reference": 0` becomes "0"), which the schema doesn't
allow and which hides a client's mistake."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class _StringsOnly:
    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError(_("Send text (a JSON string)."), code="invalid")
        return super().to_internal_value(data)


class StrictCharField(_StringsOnly, serializers.CharField):
    pass


class StrictSlugField(_StringsOnly, serializers.SlugField):
    pass


class StrictEmailField(_StringsOnly, serializers.EmailField):
    pass


class StrictBooleanField(serializers.BooleanField):
    """true or false (or null where allowed), not 0, 1 or "yes"."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data
