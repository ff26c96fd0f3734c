"""customers reacting to its own timeline: activities become outbound webhook events."""

from django.dispatch import receiver

from customers.signals import activities_recorded


@receiver(activities_recorded, dispatch_uid="customers_outbound_webhooks")
def webhooks_for_activities(sender, *, activities, **kwargs):
    from customers.segments.services.webhooks import outbound_enqueue_for_activities

    outbound_enqueue_for_activities(activities=activities)
