from celery import shared_task
from django.db import OperationalError


@shared_task(
    acks_late=True, reject_on_worker_lost=True, autoretry_for=(OperationalError,),
    retry_backoff=True, retry_backoff_max=300, max_retries=8, soft_time_limit=60, time_limit=90,
)
def delivery_process_task(delivery_id: int) -> None:
    """Apply one stored webhook delivery. Safe to run twice: the service is idempotent."""
    from customers.services import delivery_process

    delivery_process(delivery_id=delivery_id)
