"""Fields of an event defined once: each reads its value with a Reader (fast, collecting every
problem with the API's messages) and documents itself as a DRF field, from which the OpenAPI
schema is generated. A table of them is both the parser and the schema (see generic.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from functools import partial
from operator import methodcaller
from typing import Any

from django.utils.translation import gettext
from rest_framework import serializers

from kernel.currencies import ISO_4217

from .events import Reader, date_problem


class Field:
    """One field: `read` takes its value out of the event, `documented` is its DRF field.
    `attr` names the value in the built object when it differs from the JSON key."""

    attr = ""
    help_text: Any = None

    def read(self, r: Reader, key: str) -> Any:
        raise NotImplementedError

    def reader(self, key: str) -> Callable[[Reader], Any]:
        """read(r, key) as a function of r alone. Fields that are one Reader call return that
        call (a methodcaller, no Python frame of its own): parsing runs for every event."""
        return partial(self.read, key=key)

    def documented(self) -> serializers.Field:
        raise NotImplementedError

    def _doc(self, **kwargs) -> dict:
        if self.help_text is not None:
            kwargs["help_text"] = self.help_text
        return kwargs


class Text(Field):
    def __init__(self, max_length: int, *, required: bool = False, help_text=None,
                 attr: str = ""):
        self.max_length, self.required, self.help_text, self.attr = (
            max_length, required, help_text, attr)

    def read(self, r: Reader, key: str) -> str:
        return r.text(key, self.required, self.max_length)

    def reader(self, key: str) -> Callable[[Reader], Any]:
        return methodcaller("text", key, self.required, self.max_length)

    def documented(self) -> serializers.Field:
        if self.required:
            return serializers.CharField(**self._doc(max_length=self.max_length))
        return serializers.CharField(**self._doc(max_length=self.max_length, required=False,
                                                 allow_blank=True, default=""))


class Choice(Field):
    def __init__(self, choices: Sequence[str], *, help_text=None):
        self.choices, self.help_text = tuple(choices), help_text

    def read(self, r: Reader, key: str) -> str:
        value = r.text(key, required=True, max_length=32)
        if value and value not in self.choices:
            r.fail(key, gettext("One of: %(s)s.") % {"s": ", ".join(self.choices)})
        return value

    def documented(self) -> serializers.Field:
        return serializers.ChoiceField(**self._doc(choices=self.choices))


class _TimeField(serializers.DateTimeField):
    """A date and time within the window events.date_problem allows."""

    def to_internal_value(self, value):
        try:
            when = super().to_internal_value(value)
        except OverflowError:  # year 1 with a positive offset
            self.fail("invalid", format="ISO 8601")
        problem = date_problem(when)
        if problem:
            raise serializers.ValidationError(problem)
        return when


class Time(Field):
    """A required date and time, within the window events.date_problem allows."""

    def __init__(self, *, help_text=None):
        self.help_text = help_text

    def read(self, r: Reader, key: str):
        return r.datetime(key, required=True)

    def reader(self, key: str) -> Callable[[Reader], Any]:
        return methodcaller("datetime", key, True)

    def documented(self) -> serializers.Field:
        return _TimeField(**self._doc())


class _CurrencyField(serializers.CharField):
    def to_internal_value(self, data):
        value = super().to_internal_value(data).upper()
        if value not in ISO_4217:
            raise serializers.ValidationError(
                gettext("Unknown currency '%(code)s'.") % {"code": value})
        return value


class Currency(Field):
    """A required ISO 4217 code, in any case."""

    def __init__(self, *, help_text=None):
        self.help_text = help_text

    def read(self, r: Reader, key: str) -> str:
        return r.currency(key)

    def reader(self, key: str) -> Callable[[Reader], Any]:
        return methodcaller("currency", key)

    def documented(self) -> serializers.Field:
        return _CurrencyField(**self._doc(min_length=3, max_length=3))


class Amount(Field):
    """Money, not negative, with at most two decimal places. Optional ones are 0 when left
    out, or None when `nullable`."""

    def __init__(self, *, required: bool = False, nullable: bool = False, help_text=None,
                 attr: str = ""):
        self.required, self.nullable, self.help_text, self.attr = (
            required, nullable, help_text, attr)

    def read(self, r: Reader, key: str) -> Decimal | None:
        value = r.raw(key)
        if value is None and self.nullable:
            return None
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            try:
                exponent = Decimal(str(value).strip()).as_tuple().exponent
            except (InvalidOperation, TypeError):
                exponent = 0  # r.money names the problem
            places = -exponent if isinstance(exponent, int) else 0  # not 'n', 'N' or 'F'
            if places > 2:
                r.fail(key, gettext("At most 2 decimal places."))
        return r.money(key, required=self.required)

    def documented(self) -> serializers.Field:
        amount: dict[str, Any] = {"max_digits": 14, "decimal_places": 2, "min_value": 0}
        if not self.required:
            amount.update(required=False, default=None if self.nullable else 0)
        if self.nullable:
            amount["allow_null"] = True
        return serializers.DecimalField(**self._doc(**amount))


class Boolean(Field):
    """true or false (also 0/1, yes/no); left out: None when `nullable`, else False."""

    def __init__(self, *, nullable: bool = False, help_text=None):
        self.nullable, self.help_text = nullable, help_text

    def read(self, r: Reader, key: str) -> bool | None:
        value = r.boolean(key)
        return value if self.nullable else bool(value)

    def reader(self, key: str) -> Callable[[Reader], Any]:
        return methodcaller("boolean", key) if self.nullable else partial(self.read, key=key)

    def documented(self) -> serializers.Field:
        if self.nullable:
            return serializers.BooleanField(**self._doc(required=False, allow_null=True,
                                                        default=None))
        return serializers.BooleanField(**self._doc(required=False, default=False))


class Email(Field):
    def __init__(self, *, help_text=None):
        self.help_text = help_text

    def read(self, r: Reader, key: str) -> str:
        return r.email(key)

    def reader(self, key: str) -> Callable[[Reader], Any]:
        return methodcaller("email", key)

    def documented(self) -> serializers.Field:
        return serializers.EmailField(**self._doc(max_length=254, required=False,
                                                  allow_blank=True, default=""))


class Integer(Field):
    def __init__(self, minimum: int, maximum: int, *, help_text=None):
        self.minimum, self.maximum, self.help_text = minimum, maximum, help_text

    def read(self, r: Reader, key: str) -> int:
        return r.integer(key, True, self.minimum, self.maximum)

    def reader(self, key: str) -> Callable[[Reader], Any]:
        return methodcaller("integer", key, True, self.minimum, self.maximum)

    def documented(self) -> serializers.Field:
        return serializers.IntegerField(**self._doc(min_value=self.minimum,
                                                    max_value=self.maximum))


class Object(Field):
    """A required JSON object of `fields`, built into `make(**values)`. `one_of`: keys of which
    at least one must be given, else `one_of_message` (once the fields themselves are valid).
    `name` and `doc` name and describe its serializer in the schema."""

    def __init__(self, name: str, fields: dict[str, Field], make: Callable[..., Any], *,
                 doc: str = "", one_of: Sequence[str] = (), one_of_message=None,
                 not_object_message=None, help_text=None):
        self.name, self.fields, self.make, self.doc = name, fields, make, doc
        self.one_of, self.one_of_message = tuple(one_of), one_of_message
        self.not_object_message, self.help_text = not_object_message, help_text
        self.reads = tuple((field.attr or key, field.reader(key)) for key, field in fields.items())
        self._serializer: type[serializers.Serializer] | None = None

    def values(self, r: Reader) -> dict[str, Any]:
        """Every field's value by its attribute, read from r (problems collected in it)."""
        values = {attr: read(r) for attr, read in self.reads}
        if self.one_of and not any(values[self.fields[k].attr or k] for k in self.one_of):
            label = r.prefix[:-1]
            if not any(name.startswith(r.prefix) for name in r.errors):
                r.errors.setdefault(label, self.one_of_message)
        return values

    def read(self, r: Reader, key: str) -> Any:
        if not isinstance(r.raw(key), dict):
            r.fail(key, self.not_object_message)
        return self.make(**self.values(r.nested(key)))

    def read_item(self, r: Reader, item, label: str) -> Any:
        """One item of a list of these objects, named `label` in errors."""
        nested = r.nested(item, label)
        if not isinstance(item, dict):
            r.fail(label, gettext("Must be an object."))
        return self.make(**self.values(nested))

    @property
    def serializer(self) -> type[serializers.Serializer]:
        """The DRF serializer documenting the object (built once)."""
        if self._serializer is None:
            attrs: dict[str, Any] = {key: field.documented() for key, field in self.fields.items()}
            attrs["__doc__"] = self.doc
            attrs["__module__"] = __name__
            if self.one_of:
                one_of, message = self.one_of, self.one_of_message

                def validate(serializer, data):
                    if not any(data.get(key) for key in one_of):
                        raise serializers.ValidationError(message)
                    return data
                attrs["validate"] = validate
            self._serializer = type(self.name, (serializers.Serializer,), attrs)
        return self._serializer

    def documented(self) -> serializers.Field:
        return self.serializer(**self._doc())


class ObjectList(Field):
    """A list of at most `max_items` objects; left out (or null): None."""

    def __init__(self, item: Object, max_items: int, *, help_text=None):
        self.item, self.max_items, self.help_text = item, max_items, help_text

    def read(self, r: Reader, key: str) -> tuple | None:
        if r.raw(key) is None:
            return None
        items = r.items(key)
        if len(items) > self.max_items:
            r.fail(key, gettext("At most %(n)d lines.") % {"n": self.max_items})
        return tuple(self.item.read_item(r, item, f"{key}.{index}")
                     for index, item in enumerate(items[:self.max_items]))

    def documented(self) -> serializers.Field:
        return self.item.serializer(**self._doc(many=True, required=False, default=None,
                                                max_length=self.max_items))


class Codes(Field):
    """A list of at most `max_items` non-blank codes of at most `max_length` characters."""

    def __init__(self, max_items: int, max_length: int, *, help_text=None):
        self.max_items, self.max_length, self.help_text = max_items, max_length, help_text

    def read(self, r: Reader, key: str) -> tuple[str, ...]:
        items = r.items(key)
        if len(items) > self.max_items:
            r.fail(key, gettext("At most %(n)d codes.") % {"n": self.max_items})
        codes = []
        for index, code in enumerate(items[:self.max_items]):
            name = f"{key}.{index}"
            if isinstance(code, bool) or not isinstance(code, str | int) or not str(code).strip():
                r.fail(name, gettext("Must be a code."))
            elif len(str(code).strip()) > self.max_length:
                r.fail(name, gettext("At most %(n)d characters.") % {"n": self.max_length})
            else:
                codes.append(str(code).strip())
        return tuple(codes)

    def documented(self) -> serializers.Field:
        return serializers.ListField(**self._doc(
            child=serializers.CharField(max_length=self.max_length), required=False,
            default=list, max_length=self.max_items))
