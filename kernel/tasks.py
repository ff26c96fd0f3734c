"""The one Celery task preset. Every task is acknowledged late and handed to another worker
if its worker dies (so it must be idempotent, which every Flywheel task is by construction),
has a soft and a hard time limit, and retries a lost database connection with exponential
backoff a bounded number of times.

    @flywheel_task(name="loyalty.expire_points", limits=LONG)
    def expire_points_task() -> int: ...

`name` is required and never changes: beat schedules (in migrations) and messages already
queued carry it. A task that differs from the preset says how, with the arguments below."""

from collections.abc import Iterable

from celery import shared_task
from django.db import OperationalError, transaction

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


def delay_on_commit_gathered(task, items: Iterable) -> None:
    """Queue `task` with a list of `items` once the current transaction commits, gathered:
    what is handed to the same task during one transaction goes out as one message, one list
    in the order given (so a batch's services, each adding their part, cost one task). Outside
    a transaction it is queued at once."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        task.delay(list(items))
        return
    if not hasattr(connection, "flywheel_gathered"):
        connection.flywheel_gathered = {}  # {task name: what its next message gathers}
    gathering = connection.flywheel_gathered
    gathered = gathering.get(task.name)
    # A rolled-back transaction (or savepoint) dropped the callback: start again.
    if gathered is None or not any(callback == gathered.send
                                   for _ids, callback, _robust in connection.run_on_commit):
        gathered = gathering[task.name] = _Gathered(task, gathering)
        transaction.on_commit(gathered.send)
    gathered.items.extend(items)


class _Gathered:
    def __init__(self, task, gathering: dict):
        self.task, self.gathering, self.items = task, gathering, []

    def send(self) -> None:
        if self.gathering.get(self.task.name) is self:
            del self.gathering[self.task.name]
        self.task.delay(self.items)
