"""Customers' background work: thin, idempotent Celery tasks that call one service each."""

from django.utils import timezone

from kernel.tasks import SHORT, flywheel_task


@flywheel_task(name="customers.tasks.deliveries_apply_task", limits=(240, 300), max_retries=8)
def deliveries_apply_task() -> None:
    """Apply the received webhook deliveries, in batches. Queued when a delivery arrives (once
    per batch, see deliveries_wake) and every minute by beat, in case a wake-up was lost.
    Safe to run twice or at once: each batch locks its deliveries and applies them once."""
    from customers.services import deliveries_apply

    deliveries_apply()


@flywheel_task(name="customers.tasks.outbound_delivery_send_task", limits=(30, 45), retry_on=(),
               max_retries=None, bind=True)
def outbound_delivery_send_task(self, delivery_id: int) -> None:
    """Send one outbound webhook delivery; if it is still pending, try again after its
    backoff. The service logs every attempt and gives up after MAX_ATTEMPTS. (Without a
    broker, tasks run inline and `outbound_deliveries_due_task` sends the retries.)"""
    from customers.models import OutboundDelivery
    from customers.webhooks_out import outbound_delivery_attempt

    delivery = outbound_delivery_attempt(delivery_id=delivery_id)
    if self.request.is_eager:
        return  # no broker to wait on: the due-deliveries sweep sends the retry
    if delivery.status == OutboundDelivery.Status.PENDING and delivery.next_attempt_at:
        countdown = (delivery.next_attempt_at - timezone.now()).total_seconds()
        raise self.retry(countdown=max(1, min(countdown, 6 * 3600)))


@flywheel_task(name="customers.tasks.segments_recompute_task", limits=(3000, 3300), max_retries=3,
               backoff_max=600)
def segments_recompute_task() -> None:
    """The nightly recompute of stages, RFM scores, CLV and segment memberships."""
    from customers.services import segments_recompute

    segments_recompute()


@flywheel_task(name="customers.tasks.outbound_deliveries_due_task", limits=SHORT, retry_on=(),
               max_retries=3)
def outbound_deliveries_due_task() -> None:
    """Queue outbound webhook deliveries whose retry is due (if their task was lost)."""
    from customers.webhooks_out import outbound_deliveries_due

    outbound_deliveries_due()
