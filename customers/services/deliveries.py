import hashlib
import json
import logging
import time

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.cache import cache
from django.db import OperationalError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.errors import IdempotencyKeyTooLong, InvalidEvent
from customers.ingestion.events import CustomerEvent, OrderEvent, RefundEvent, body_too_large
from customers.ingestion.platforms import PARSERS
from customers.models import Order, WebhookDelivery
from kernel.bulk import insert_new, source_pairs_q, update_each
from kernel.errors import FlywheelError
from kernel.memo import memo_scope

from .orders import orders_apply, orders_lock
from .profiles import customer_found, customers_upsert_many, platform_facts

logger = logging.getLogger(__name__)
Status = WebhookDelivery.Status
# Deliveries per transaction. From 200 rows a batch's inserts go by COPY (kernel.bulk), so
# a batch of 250 costs about a quarter less CPU a delivery than one of 100 (0.50 ms
# against 0.65 in-process).
BATCH_SIZE = 250
MAX_BATCHES = 50  # per task, so one task never runs for long
WAKE_KEY = "deliveries:wake"
# Set while refunds wait for their order, so batches look for the arrived ones only then; beat's
# sweep looks every minute whatever the flag says, so a lost flag delays them a minute at most.
WAITING_KEY = "deliveries:waiting"
# If a queued task is lost (a broker restart), the next delivery after this queues another, and
# beat's sweep applies what arrived meanwhile within the minute; a task slow to start because
# workers are busy only means a second one, which finds nothing left to do.
WAKE_SECONDS = 10
MAX_EVENT_ID = 128  # WebhookDelivery.event_id


def parse_delivery(source: str, topic: str, content_type: str, body: bytes):
    """The normalised event in a delivery, None for one that needs nothing doing (a test
    order, a ping), or InvalidEvent saying what is wrong."""
    parser = PARSERS[source]
    event = parser.parse(topic, content_type, body)
    if isinstance(event, OrderEvent) and event.test:
        return None
    return event


def delivery_receive(
    *, source: str, topic: str, headers: dict, body: bytes, content_type: str, event_id: str = "",
    unread_size: int | None = None,
) -> WebhookDelivery:
    """Keep a delivery as it arrived, check it, and queue it to be applied after commit.

    The body is kept byte for byte whatever it holds (see `stored_body`), before anything can
    fail; `unread_size` says a body too large to read at all was sent (it is kept as a failed
    delivery without its body). Every check the worker makes is made here, so a delivery is
    either refused now (failed, with the reason, answered a 4xx) or applied later.

    A repeat of an event id answers what the first delivery answered. On the generic API the
    same id with a different body is refused (Idempotency-Key semantics), and an id over 128
    characters is refused rather than cut (two keys cut alike would collide); a platform's
    over-long id is kept as its hash. A platform's signed delivery is never refused as a repeat
    (see each parser's `event_id` for what identifies a change). Optional items the parser
    skipped are noted on the delivery. Nothing is applied here.
    """
    digest = hashlib.sha256(body).hexdigest()
    text, raw = stored_body(body)
    too_long = len(event_id) > MAX_EVENT_ID
    if too_long and source != "generic":
        event_id, too_long = f"sha256:{hashlib.sha256(event_id.encode()).hexdigest()}", False
    delivery = WebhookDelivery(
        source=source, topic=topic[:64], headers=headers, event_id="" if too_long else event_id,
        body=text, raw_body=raw, body_sha256=digest,
    )
    try:
        if too_long:
            raise IdempotencyKeyTooLong(
                _("The Idempotency-Key is %(n)d characters; at most %(max)d are taken.")
                % {"n": len(event_id), "max": MAX_EVENT_ID},
                fields={"Idempotency-Key": _("At most %(max)d characters.")
                        % {"max": MAX_EVENT_ID}})
        if unread_size is not None:
            raise body_too_large(unread_size)
        event = parse_delivery(source, topic, content_type, body)
    except InvalidEvent as exc:
        delivery.status = Status.FAILED
        delivery.error = _describe(exc)
        delivery.response_status = exc.status
        delivery.response_body = exc.as_body()
    else:
        if event is None:
            delivery.status = Status.IGNORED
            delivery.processed_at = timezone.now()
            delivery.response_status = 200
        else:
            delivery.notes = "\n".join(getattr(event, "skipped", ()))
    # A repeat is rare: store first, and only when the event id is already taken (now, or by
    # a copy arriving at the same moment) read what the first delivery was answered.
    if not insert_new([delivery], key=("source", "event_id")):
        return _replay(
            WebhookDelivery.objects.get(source=source, event_id=delivery.event_id), digest
        )
    if delivery.status == Status.RECEIVED:
        deliveries_wake()
    return delivery


def stored_body(body: bytes) -> tuple[str, bytes | None]:
    """(the body as text, its exact bytes when the text can't be them). A UTF-8 body without
    NUL bytes, what platforms send, is its text; anything else (UTF-16, a NUL byte, bytes that
    are no text at all) keeps its bytes too, and its text is a readable rendering for staff:
    decoded as the encoding it looks like, with what can't be decoded and NULs escaped. The
    text never holds what a database column can't (NUL, lone surrogates)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if "\x00" not in text:
            return text, None
    encoding = json.detect_encoding(body)
    readable = body.decode(encoding if encoding.startswith("utf-") else "utf-8",
                           errors="backslashreplace")
    return readable.replace("\x00", "\\x00"), body


def _replay(existing: WebhookDelivery, digest: str) -> WebhookDelivery:
    if existing.body_sha256 != digest and existing.source == "generic":
        raise InvalidEvent(
            _("This idempotency key was already used with a different body."),
            code="idempotency_key_reused",
        )
    return existing


def deliveries_wake() -> None:
    """See that a worker applies the received deliveries: once this transaction commits, queue
    a deliveries_apply_task unless one is already queued and not yet started (a flag in the
    shared cache says so; the task clears it before it looks for work, so nothing received
    before it looks is missed). One message per batch, not one per delivery.

    The flag holds the time before which its task cannot start (it is queued with a
    countdown). A process that has seen it remembers that time, and until shortly before it
    asks the cache nothing: whatever it receives meanwhile, that task will find. So a busy
    web process asks once per batch window, not once per delivery."""
    transaction.on_commit(_wake)


_task_starts_after = 0.0  # in this process: a queued task will not start before this time
WAKE_MARGIN = 0.05  # seconds kept clear of that time, for clocks that disagree a little


def deliveries_wake_forget() -> None:
    """Forget what this process knew of the queued task (once its messages are dropped)."""
    global _task_starts_after
    _task_starts_after = 0.0


def _wake() -> None:
    global _task_starts_after
    from customers.tasks import deliveries_apply_task

    eager = deliveries_apply_task.app.conf.task_always_eager  # runs at once: nothing to know
    if not eager and time.time() < _task_starts_after - WAKE_MARGIN:
        return  # the queued task will find this delivery
    starts = time.time() + settings.INGESTION_BATCH_WINDOW
    # Under load a task is nearly always queued, so ask first (one round trip finds it),
    # and queue one only if the flag is still free when taken.
    queued = cache.get(WAKE_KEY)
    if queued is not None or not cache.add(WAKE_KEY, starts, timeout=WAKE_SECONDS):
        if queued is None:
            queued = cache.get(WAKE_KEY)  # another process queued one just now
        if not eager and isinstance(queued, float):
            _task_starts_after = queued
        return  # a queued task will find this delivery
    try:
        # Deliveries arriving meanwhile join the batch: fewer, larger batches under load.
        deliveries_apply_task.apply_async(countdown=settings.INGESTION_BATCH_WINDOW)
    except Exception:
        cache.delete(WAKE_KEY)  # nothing was queued: let the next delivery try again
        raise
    if not eager:
        _task_starts_after = starts


def _describe(exc: Exception) -> str:
    if not isinstance(exc, FlywheelError):  # a fault of ours: staff reprocess once it's fixed
        return f"internal_error: {type(exc).__name__}: {exc}"
    details = "; ".join(f"{field}: {message}" for field, message in exc.fields.items())
    return f"{exc.code}: {exc.message}" + (f" ({details})" if details else "")


def deliveries_apply(*, batch_size: int = BATCH_SIZE, max_batches: int = MAX_BATCHES,
                     sweep: bool = False) -> int:
    """Apply received deliveries in batches of `batch_size`, oldest first, until none is left
    (or after `max_batches`, when another task is queued for the rest). Returns how many were
    settled. Workers share the queue: each batch skips deliveries another worker holds.
    While refunds wait for their order (and always with `sweep`, beat's run), those whose
    order has arrived, in this batch or another worker's, are received again after each batch
    and applied by the next."""
    cache.delete(WAKE_KEY)  # from here on, a new delivery queues another task
    settled = 0
    for _batch in range(max_batches):
        with transaction.atomic(), memo_scope():
            batch = list(WebhookDelivery.objects.select_for_update(skip_locked=True)
                         .filter(status=Status.RECEIVED).order_by("pk")[:batch_size])
            _settle(batch)
        settled += len(batch)
        released = deliveries_waiting_release() if sweep or cache.get(WAITING_KEY) else 0
        sweep = False
        if len(batch) < batch_size and not released:
            return settled
    deliveries_wake()
    return settled


def delivery_process(*, delivery_id: int) -> WebhookDelivery:
    """Apply one stored delivery now, waiting for any worker that holds it: what
    deliveries_apply does for a batch. A processed or ignored delivery is left as it is."""
    with transaction.atomic(), memo_scope():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        if delivery.status not in (Status.PROCESSED, Status.IGNORED):
            _settle([delivery])
    return delivery


def _settle(deliveries: list[WebhookDelivery]) -> None:
    """Apply the deliveries exactly once, inside the caller's transaction, which holds their
    rows locked: each one's status commits with everything its event changed, so a retry
    after a crash starts over. All are tried together; if one can't be applied, they are
    tried one by one, so it alone ends failed, with the reason, having changed nothing, and
    never holds up the deliveries after it. A lost database or the task's time running out
    is not the delivery's fault: the whole task tries again."""
    if not deliveries:
        return
    try:
        with transaction.atomic():
            _apply_together(deliveries)
    except (OperationalError, SoftTimeLimitExceeded):
        raise
    except Exception as exc:
        if len(deliveries) > 1:
            for delivery in deliveries:
                _settle([delivery])
            return
        delivery, = deliveries
        if not isinstance(exc, FlywheelError):
            logger.exception("Delivery %s could not be applied", delivery.pk)
        delivery.attempts += 1
        delivery.status = Status.FAILED
        delivery.error = _describe(exc)
        delivery.save(update_fields=["status", "error", "attempts"])


def _apply_together(deliveries: list[WebhookDelivery]) -> None:
    """Order events set-based in one call, then customer events in one, then refunds in one.
    A refund whose order has not arrived waits for it (status waiting) instead of failing."""
    events = [
        parse_delivery(d.source, d.topic, d.headers.get("Content-Type", "application/json"),
                       d.raw)
        for d in deliveries
    ]
    # Refunds are applied after customers are locked: their orders are locked first too.
    orders_lock([event for event in events if isinstance(event, OrderEvent | RefundEvent)])
    orders = [i for i, event in enumerate(events) if isinstance(event, OrderEvent)]
    results = dict(zip(orders, orders_apply(events=[events[i] for i in orders]), strict=True))
    for customer in customers_upsert_many(facts=[
            platform_facts(source=event.source, data=event.customer, locale=event.locale)
            for event in events if isinstance(event, CustomerEvent)]):
        customer_found(customer)
    refunds = [i for i, event in enumerate(events) if isinstance(event, RefundEvent)]
    waiting = {}
    if refunds:
        received = set(Order.objects.filter(source_pairs_q(
            ((events[i].source, events[i].external_id) for i in refunds), "external_id"))
            .values_list("source", "external_id"))
        waiting = {i: events[i].external_id for i in refunds
                   if (events[i].source, events[i].external_id) not in received}
        ready = [i for i in refunds if i not in waiting]
        results |= dict(zip(ready, orders_apply(events=[events[i] for i in ready]),
                            strict=True))
    if waiting:
        cache.set(WAITING_KEY, True, timeout=None)
    now = timezone.now()
    for i, (delivery, event) in enumerate(zip(deliveries, events, strict=True)):
        delivery.attempts += 1
        delivery.status = (Status.WAITING if i in waiting else
                           Status.PROCESSED if event is not None else Status.IGNORED)
        delivery.waiting_for = waiting.get(i, "")
        delivery.error = ""
        delivery.order = results.get(i)
        delivery.processed_at = None if i in waiting else now
    update_each(WebhookDelivery, {d.pk: {"status": d.status, "order": d.order_id,
                                         "attempts": d.attempts, "waiting_for": d.waiting_for,
                                         "processed_at": d.processed_at}
                                  for d in deliveries},
                error="")


def deliveries_waiting_release() -> int:
    """Receive again the refunds that were waiting for an order that has arrived since.
    Returns how many; forgets that refunds are waiting once none is."""
    arrived = Order.objects.filter(source=OuterRef("source"), external_id=OuterRef("waiting_for"))
    waiting = WebhookDelivery.objects.filter(status=Status.WAITING)
    released = waiting.filter(Exists(arrived)).update(status=Status.RECEIVED, waiting_for="")
    if not waiting.exists():
        cache.delete(WAITING_KEY)
    return released


def delivery_reprocess(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Queue a failed delivery again (after fixing what it needed: a secret, an order)."""
    with transaction.atomic():
        requeued = WebhookDelivery.objects.filter(pk=delivery.pk, status=Status.FAILED).update(
            status=Status.RECEIVED, error="")
        if not requeued:  # not failed, or another staff member requeued it just now
            raise FlywheelError(_("Only failed deliveries can be reprocessed."), code="not_failed")
        delivery.status, delivery.error = Status.RECEIVED, ""
        deliveries_wake()
    return delivery
