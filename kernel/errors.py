"""The errors every app raises; each has a stable code the API shows."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class FlywheelError(Exception):
    """A rule was broken. `code` is stable; `message` is for people; `fields` points at input."""

    code = "invalid"
    status = 400

    def __init__(self, message: str | Promise, *, code: str | None = None,
                 fields: dict | None = None):
        super().__init__(message)
        self.message = str(message)
        if code:
            self.code = code
        self.fields = {str(name): str(text) for name, text in (fields or {}).items()}

    def as_body(self) -> dict:
        """The one error shape every API answer uses."""
        return {"error": {"code": self.code, "message": self.message, "fields": self.fields}}


class NotFound(FlywheelError):
    code = "not_found"
    status = 404


class Conflict(FlywheelError):
    code = "conflict"
    status = 409


class InvalidImage(FlywheelError):
    """An upload that is not an image we accept: not an image, or too big."""

    code = "invalid_image"
    status = 400


NO_CUSTOMER = _("This login has no customer profile.")


class NoCustomer(NotFound):
    """The signed-in login has no customer profile, or its profile was erased."""

    code = "no_customer"

    def __init__(self, message: str = NO_CUSTOMER, **kwargs):
        super().__init__(message, **kwargs)


def flatten_errors(detail, prefix: str = "") -> dict[str, str]:
    """DRF's nested error detail as {"customer.email": "message", "lines.0.price": ...}."""
    flat: dict[str, str] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = prefix if key == "non_field_errors" else f"{prefix}{key}"
            flat.update(flatten_errors(value, f"{name}." if name else ""))
    elif isinstance(detail, list) and detail and not isinstance(detail[0], dict | list):
        flat[prefix.rstrip(".") or "non_field_errors"] = " ".join(str(d) for d in detail)
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if value:
                flat.update(flatten_errors(value, f"{prefix}{index}."))
    else:
        flat[prefix.rstrip(".") or "non_field_errors"] = str(detail)
    return flat
