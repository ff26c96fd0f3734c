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


class InvalidQuiz(FlywheelError):
    """A draft that breaks a building rule; `fields` maps each question's key to its problems."""

    code = "invalid_quiz"
    status = 400


class InvalidGrid(FlywheelError):
    """A mapping grid (or its CSV) with unknown choices or tags, or weights that are not whole
    numbers; `fields` maps each bad row or cell to its problem. Nothing was written."""

    code = "invalid_grid"
    status = 400
