"""The one Celery task preset. Every task is acknowledged late and handed to another worker
if its worker dies (so it must be idempotent, which every Flywheel task is by construction),
has a soft and a hard time limit, and retries a lost database connection with exponential
backoff a bounded number of times.

    @flywheel_task(name="loyalty.expire_points", limits=LONG)
    def expire_points_task() -> int: ...

`name` is required and never changes: beat schedules (in migrations) and messages already
queued carry it. A task that differs from the preset says how, with the arguments below."""

from celery import shared_task
from django.db import OperationalError

SHORT = (60, 90)  # (soft, hard) seconds: one email, one delivery, one small sweep
LONG = (1800, 1900)  # a periodic job over the whole shop


def flywheel_task(*, name: str, limits: tuple[int, int] = SHORT,
                  retry_on: tuple[type[BaseException], ...] = (OperationalError,),
                  max_retries: int | None = 5, backoff_max: int = 300, **options):
    """`shared_task` with the preset. `limits` is (soft, hard) seconds; `retry_on` the errors
    retried automatically with backoff up to `backoff_max` seconds, `max_retries` times (an
    empty `retry_on` retries only what the task itself asks for); `options` go to Celery as
    they are (`bind=True`, ...)."""
    soft, hard = limits
    retry = {"autoretry_for": retry_on, "retry_backoff": True,
             "retry_backoff_max": backoff_max} if retry_on else {}
    return shared_task(name=name, acks_late=True, reject_on_worker_lost=True,
                       soft_time_limit=soft, time_limit=hard, max_retries=max_retries,
                       **retry, **options)
