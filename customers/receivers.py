"""customers reacting to its own timeline: activities become outbound webhook events."""

from django.dispatch import receiver

from customers.signals import activity_recorded


@receiver(activity_recorded, dispatch_uid="customers_outbound_webhooks")
def webhooks_for_activity(sender, *, activity, **kwargs):
    from customers.segments.services.webhooks import outbound_enqueue_for_activity

    outbound_enqueue_for_activity(activity=activity)
