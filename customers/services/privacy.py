"""What an erasure must reach beyond the profile's own rows: the raw webhook deliveries that
carried the customer's details, the outbound deliveries that sent them on, staff's admin log and
failed-login records, and the e-mail outbox. The upper apps erase their own rows when
`customer_erased` is sent."""

from django.apps import apps
from django.db.models import Q
from django.utils.translation import gettext as _

from customers.models import (
    Customer,
    OutboundAttempt,
    OutboundDelivery,
    OutboxEmail,
    WebhookDelivery,
)


def _mentions(field: str, needles: list[str]) -> Q:
    query = Q(pk__in=[])
    for needle in needles:
        query |= Q(**{f"{field}__icontains": needle})
    return query


def customer_traces_erase(*, customer: Customer, emails: list[str]) -> int:
    """Blank every delivery, log line and stored e-mail that names the customer (by their
    orders, their id or any address they were known by). Delivery rows stay, emptied and
    marked, so the inbox's counts and duplicate checks still hold. Returns the rows changed."""
    emails = [e for e in emails if e]
    note = _("Emptied: the customer's personal data was erased.")
    changed = 0
    inbound = WebhookDelivery.objects.filter(Q(order__customer=customer)
                                             | _mentions("body", emails))
    changed += inbound.exclude(status__in=[WebhookDelivery.Status.PROCESSED,
                                           WebhookDelivery.Status.IGNORED]).update(
        status=WebhookDelivery.Status.IGNORED, waiting_for="")
    # A refused delivery keeps its answer's code and message (Flywheel's words, never the
    # customer's), so a retry with the same key is still answered in the one error shape.
    refused = list(inbound.filter(response_status__gte=400).only("pk", "response_body"))
    for delivery in refused:
        error = (delivery.response_body or {}).get("error") or {}
        delivery.response_body = {"error": {"code": error.get("code", "invalid_event"),
                                            "message": error.get("message", "")}}
    WebhookDelivery.objects.bulk_update(refused, ["response_body"])
    changed += inbound.update(body="", raw_body=None, headers={}, error="", notes=note)
    inbound.filter(response_status__lt=400).update(response_body={})
    outbound = OutboundDelivery.objects.filter(Q(customer=customer)
                                               | _mentions("payload", emails))
    OutboundAttempt.objects.filter(delivery__in=outbound).update(response_body="", error="")
    changed += outbound.update(payload={}, error="")
    # The outbox is a trial's log of what would have gone out: a message to them, or about
    # them to someone else ("Zenobia invited you"), goes, erring on the side of forgetting.
    names = [n for n in (customer.first_name, customer.last_name) if len(n) > 1]
    changed += OutboxEmail.objects.filter(
        _mentions("to", emails) | _mentions("body", emails + names)
        | _mentions("subject", names)).delete()[0]
    if apps.is_installed("django.contrib.admin"):
        from django.contrib.admin.models import LogEntry
        from django.contrib.contenttypes.models import ContentType

        changed += LogEntry.objects.filter(
            Q(content_type=ContentType.objects.get_for_model(Customer),
              object_id=str(customer.pk)) | _mentions("object_repr", emails)
            | _mentions("change_message", emails),
        ).update(object_repr=f"#{customer.pk}", change_message="")
    if apps.is_installed("axes"):
        for name in ("AccessAttempt", "AccessLog", "AccessFailureLog"):
            model = apps.get_model("axes", name)
            changed += model.objects.filter(_mentions("username", emails)).delete()[0]
    return changed
