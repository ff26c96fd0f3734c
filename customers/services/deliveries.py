import hashlib
import importlib

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.errors import FlywheelError, InvalidEvent
from customers.ingestion.events import CustomerEvent, OrderEvent, RefundEvent
from customers.models import Order, WebhookDelivery

from .inserts import insert_unless_known
from .orders import order_apply_in_transaction, refund_apply
from .profiles import customer_apply

Status = WebhookDelivery.Status


def parse_delivery(source: str, topic: str, content_type: str, body: bytes):
    """The normalised event in a delivery, None for one that needs nothing doing (a test
    order, a ping), or InvalidEvent saying what is wrong."""
    parser = importlib.import_module(f"customers.ingestion.{source}")
    event = parser.parse(topic, content_type, body)
    if isinstance(event, OrderEvent) and event.test:
        return None
    return event


def delivery_receive(
    *, source: str, topic: str, headers: dict, body: bytes, content_type: str, event_id: str = ""
) -> WebhookDelivery:
    """Keep a delivery as it arrived, check it, and queue it to be applied after commit.

    A repeat of an event id answers what the first delivery answered; the same id with a
    different body is refused (Idempotency-Key semantics). Nothing is applied here.
    """
    digest = hashlib.sha256(body).hexdigest()
    delivery = WebhookDelivery(
        source=source, topic=topic[:64], headers=headers, event_id=event_id[:128],
        body=body.decode("utf-8", errors="replace"), body_sha256=digest,
    )
    try:
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
    # A repeat is rare: store first, and only when the event id is already taken (now, or by
    # a copy arriving at the same moment) read what the first delivery was answered.
    if not insert_unless_known(delivery):
        return _replay(
            WebhookDelivery.objects.get(source=source, event_id=delivery.event_id), digest
        )
    if delivery.status == Status.RECEIVED:
        _queue(delivery)
    return delivery


def _replay(existing: WebhookDelivery, digest: str) -> WebhookDelivery:
    if existing.body_sha256 != digest:
        raise InvalidEvent(
            _("This idempotency key was already used with a different body."),
            code="idempotency_key_reused",
        )
    return existing


def _queue(delivery: WebhookDelivery) -> None:
    from customers.tasks import delivery_process_task

    delivery_process_task.delay_on_commit(delivery.pk)


def _describe(exc: FlywheelError) -> str:
    details = "; ".join(f"{field}: {message}" for field, message in exc.fields.items())
    return f"{exc.code}: {exc.message}" + (f" ({details})" if details else "")


def _apply(event):
    if isinstance(event, OrderEvent):
        return order_apply_in_transaction(event=event)  # delivery_process holds the transaction
    if isinstance(event, RefundEvent):
        return refund_apply(event=event)
    if isinstance(event, CustomerEvent):
        customer_apply(source=event.source, data=event.customer, locale=event.locale)
        return None
    raise TypeError(f"Cannot apply {event!r}")


def delivery_process(*, delivery_id: int) -> WebhookDelivery:
    """Apply a stored delivery, exactly once: the delivery row is locked and its status
    committed with everything the event changed, so a retry after a crash starts over. An
    event that can't be applied changes nothing and leaves the delivery failed with the reason.
    """
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
            if delivery.status in (Status.PROCESSED, Status.IGNORED):
                return delivery
            event = parse_delivery(
                delivery.source, delivery.topic,
                delivery.headers.get("Content-Type", "application/json"), delivery.body.encode(),
            )
            result = _apply(event) if event is not None else None
            delivery.attempts += 1
            delivery.status = Status.PROCESSED if event is not None else Status.IGNORED
            delivery.error = ""
            delivery.order = result if isinstance(result, Order) else None
            delivery.processed_at = timezone.now()
            delivery.save(update_fields=["status", "error", "order", "processed_at", "attempts"])
        return delivery
    except FlywheelError as exc:
        failure = exc
    # Everything the event changed was rolled back with the transaction; say why.
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        if delivery.status in (Status.PROCESSED, Status.IGNORED):
            return delivery
        delivery.attempts += 1
        delivery.status = Status.FAILED
        delivery.error = _describe(failure)
        delivery.save(update_fields=["status", "error", "attempts"])
    return delivery


def delivery_reprocess(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Queue a failed delivery again (after fixing what it needed: a secret, an order)."""
    with transaction.atomic():
        requeued = WebhookDelivery.objects.filter(pk=delivery.pk, status=Status.FAILED).update(
            status=Status.RECEIVED, error="")
        if not requeued:  # not failed, or another staff member requeued it just now
            raise FlywheelError(_("Only failed deliveries can be reprocessed."), code="not_failed")
        delivery.status, delivery.error = Status.RECEIVED, ""
        _queue(delivery)
    return delivery
