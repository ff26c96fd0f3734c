"""Errors of order ingestion; each has a stable code the API shows. The errors every app
raises live in kernel.errors."""

from kernel.errors import FlywheelError


class InvalidEvent(FlywheelError):
    """A delivery that can't be applied: its reason is kept on the delivery."""

    code = "invalid_event"
    status = 422


class UnsupportedMediaType(InvalidEvent):
    code = "unsupported_media_type"
    status = 415


class BodyTooLarge(InvalidEvent):
    code = "body_too_large"
    status = 413


class IdempotencyKeyTooLong(InvalidEvent):
    code = "idempotency_key_too_long"
    status = 400


class BadSignature(FlywheelError):
    code = "bad_signature"
    status = 401
