"""Errors the quizzes services raise; each has a stable code the API shows."""

from customers.errors import FlywheelError


class InvalidImage(FlywheelError):
    """An upload that is not an image we accept: not an image, or too big."""

    code = "invalid_image"
    status = 400


class InvalidProduct(FlywheelError):
    """Product fields that break a rule; `fields` says which and why."""

    code = "invalid_product"
    status = 400
