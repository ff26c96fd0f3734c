"""Errors the NPS services raise; each has a stable code the API and the pages show."""

from kernel.errors import FlywheelError


class TokenInvalid(FlywheelError):
    """A link that was not made by us (forged, altered or cut short)."""

    code = "invalid_token"
    status = 404


class TokenExpired(FlywheelError):
    code = "token_expired"
    status = 410


class AlreadyAnswered(FlywheelError):
    code = "already_answered"
    status = 409


class InvalidScore(FlywheelError):
    code = "invalid_score"
    status = 400


class CommentTooLong(FlywheelError):
    code = "comment_too_long"
    status = 400
