"""customers reacting to its own timeline (activities become outbound webhook events) and to
its own rows (a deleted API key is no longer trusted)."""

from django.db.models.signals import post_delete
from django.dispatch import receiver

from customers.models import ApiKey
from customers.signals import activities_recorded


@receiver(activities_recorded, dispatch_uid="customers_outbound_webhooks")
def webhooks_for_activities(sender, *, activities, **kwargs):
    from customers.segments.services.webhooks import outbound_enqueue_for_activities

    outbound_enqueue_for_activities(activities=activities)


@receiver(post_delete, sender=ApiKey, dispatch_uid="customers_api_key_deleted")
def api_key_deleted(sender, instance, **kwargs):
    from customers.services import api_keys_forget

    api_keys_forget(hashed_keys=[instance.hashed_key])
