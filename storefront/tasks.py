"""Storefront's background work: thin, idempotent Celery tasks that call one service each."""

from django.utils import timezone

from kernel.tasks import SHORT, flywheel_task

# --- Discount codes in the shop's platform -----------------------------------------------------


@flywheel_task(name="storefront.discount_sync_push", limits=(45, 60), retry_on=(),
               max_retries=None, bind=True, queue="celery")
def discount_sync_push_task(self, sync_id: int) -> None:
    """Create one voucher's code in the shop's platform; after a failure that may pass, try
    again when the service's backoff says (it counts the attempts and stops). Without a
    broker, tasks run inline and `discount_syncs_due_task` sends the retries."""
    from storefront.discounts import discount_sync_push
    from storefront.models import DiscountSync

    sync = discount_sync_push(sync_id=sync_id)
    if self.request.is_eager:
        return
    if sync.status == DiscountSync.Status.FAILED and sync.next_attempt_at:
        countdown = (sync.next_attempt_at - timezone.now()).total_seconds()
        raise self.retry(countdown=max(1, min(countdown, 6 * 3600)))


@flywheel_task(name="storefront.discount_syncs_due", limits=SHORT, retry_on=(), max_retries=3,
               queue="celery")
def discount_syncs_due_task() -> int:
    """Queue the discount-code pushes whose retry is due (if their task was lost)."""
    from storefront.discounts import discount_syncs_due

    return discount_syncs_due()
