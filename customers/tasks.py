"""Customers' background work: thin, idempotent Celery tasks that call one service each."""

from django.utils import timezone

from kernel.tasks import SHORT, flywheel_task


@flywheel_task(name="customers.tasks.deliveries_apply_task", limits=(240, 300), max_retries=8)
def deliveries_apply_task(sweep: bool = False) -> None:
    """Apply the received webhook deliveries, in batches. Queued when a delivery arrives (once
    per batch, see deliveries_wake) and every minute by beat (`sweep`: also refunds whose
    order arrived), in case a wake-up was lost. Safe to run twice or at once: each batch
    locks its deliveries and applies them once."""
    from customers.services import deliveries_apply

    deliveries_apply(sweep=sweep)


@flywheel_task(name="customers.tasks.outbound_delivery_send_task", limits=(30, 45), retry_on=(),
               max_retries=None, bind=True)
def outbound_delivery_send_task(self, delivery_id: int) -> None:
    """Send one outbound webhook delivery; if it is still pending, try again after its
    backoff. The service logs every attempt and gives up after MAX_ATTEMPTS. (Without a
    broker, tasks run inline and `outbound_deliveries_due_task` sends the retries.)"""
    from customers.models import OutboundDelivery
    from customers.segments.services.webhooks import outbound_delivery_attempt

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
    from customers.segments.services.webhooks import outbound_deliveries_due

    outbound_deliveries_due()


@flywheel_task(name="customers.tasks.signup_email_task", retry_on=(OSError,), backoff_max=600)
def signup_email_task(user_id: int, accepts_marketing: bool, language: str = "") -> None:
    """The e-mail a sign-up sends: the link that opens a new login, or, when the address
    already has an open one, a note saying so with the log-in and password-reset links; in
    the language the sign-up page was read in."""
    from customers.models import User
    from customers.services import signup_link
    from kernel.emails import email_send
    from kernel.links import absolute_url

    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return
    if user.is_active:
        email_send(to=user.email, template="customers/emails/signup_existing", locale=language,
                   context={"login_url": absolute_url("login"),
                            "reset_url": absolute_url("password_reset")})
    else:
        email_send(to=user.email, template="customers/emails/signup_confirm", locale=language,
                   context={"link": signup_link(user=user, accepts_marketing=accepts_marketing)})
