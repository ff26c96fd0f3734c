"""Outbound webhooks: tell email and CRM tools what happened, signed, after commit, with retries.

Events come from the activity timeline (a receiver on `activity_recorded`, customers/receivers.py)
and from the segments recompute (`customer.segment_entered`). Each (subscription, cause) is one
`OutboundDelivery`, sent by `outbound_delivery_send_task` after the transaction commits and
retried with exponential backoff; every attempt is logged.

Signature: header `Flywheel-Signature: t=<unix seconds>,v1=<hex>` where hex is
HMAC-SHA256(secret, "<t>.<raw body>"). Receivers recompute it, compare in constant time and
refuse timestamps older than a few minutes (replays).
"""

import datetime as dt
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from customers.models import (
    Activity,
    Customer,
    OutboundAttempt,
    OutboundDelivery,
    OutboundEvent,
    WebhookSubscription,
)
from customers.segments.selectors import customer_score_get
from kernel.memo import memoized

MAX_ATTEMPTS = 8
BACKOFF_SECONDS = 30  # 30 s, 1 min, 2 min ... doubled per failed attempt
BACKOFF_MAX_SECONDS = 6 * 3600
TIMEOUT_SECONDS = 10
SIGNATURE_HEADER = "Flywheel-Signature"
USER_AGENT = "Flywheel-Webhooks/1.0"


def _activity_event(activity: Activity) -> str | None:
    data = activity.data or {}
    kind = activity.kind
    if kind == Activity.Kind.STAGE_CHANGED:
        return OutboundEvent.STAGE_CHANGED
    if kind == Activity.Kind.TIER_CHANGED:
        return OutboundEvent.TIER_CHANGED
    if kind == Activity.Kind.POINTS_EXPIRING:
        return OutboundEvent.POINTS_EXPIRING
    if kind == Activity.Kind.NPS_ANSWERED and data.get("category") == "detractor":
        return OutboundEvent.NPS_DETRACTOR
    if kind == Activity.Kind.QUIZ_COMPLETED:
        return OutboundEvent.QUIZ_COMPLETED
    if kind == Activity.Kind.REFERRAL_STATUS_CHANGED and data.get("status") == "rewarded":
        return OutboundEvent.REFERRAL_REWARDED
    return None


EVENT_KINDS = {Activity.Kind.STAGE_CHANGED, Activity.Kind.TIER_CHANGED,
               Activity.Kind.POINTS_EXPIRING, Activity.Kind.NPS_ANSWERED,
               Activity.Kind.QUIZ_COMPLETED, Activity.Kind.REFERRAL_STATUS_CHANGED}


def outbound_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """The header value: `t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def _customer_payload(customer: Customer) -> dict:
    return {"id": customer.pk, "email": customer.email, "first_name": customer.first_name,
            "last_name": customer.last_name, "accepts_marketing": customer.accepts_marketing}


def _active_subscriptions() -> tuple[WebhookSubscription, ...]:
    """The active subscriptions, read once per memo scope (a batch of deliveries) rather than
    once per event; nobody changes the shared instances."""
    return memoized("customers.webhook_subscriptions.active",
                    lambda: tuple(WebhookSubscription.objects.filter(is_active=True)))


def outbound_enqueue(*, event: str, key: str, customer: Customer | None, data: dict,
                     occurred_at: dt.datetime | None = None) -> list[OutboundDelivery]:
    """One delivery per active subscription to `event`, once per `key` (the cause), each sent
    by a task after the transaction commits."""
    subscriptions = [s for s in _active_subscriptions() if event in (s.events or [])]
    if not subscriptions:
        return []
    occurred_at = occurred_at or timezone.now()
    payload = {
        "event": str(event), "occurred_at": occurred_at.isoformat(),
        "customer": _customer_payload(customer) if customer else None, "data": data,
    }
    payload = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    OutboundDelivery.objects.bulk_create(
        [OutboundDelivery(subscription=s, event=event, key=key[:200], customer=customer,
                          payload=payload) for s in subscriptions],
        ignore_conflicts=True,
    )
    deliveries = list(OutboundDelivery.objects.filter(
        key=key[:200], subscription__in=subscriptions, status=OutboundDelivery.Status.PENDING,
        attempts=0))
    from customers.tasks import outbound_delivery_send_task

    for delivery in deliveries:
        outbound_delivery_send_task.delay_on_commit(delivery.pk)
    return deliveries


def outbound_enqueue_for_activity(*, activity: Activity) -> list[OutboundDelivery]:
    """The webhook event a timeline activity stands for, if any, to its subscribers."""
    if activity.kind not in EVENT_KINDS:
        return []
    event = _activity_event(activity)
    if event is None:
        return []
    data = {"activity_id": activity.pk, "kind": activity.kind,
            "reference": activity.reference, **(activity.data or {})}
    if event == OutboundEvent.STAGE_CHANGED and any(
            event in (s.events or []) for s in _active_subscriptions()):
        # What the customer is worth now: stage, RFM, P(alive), expected orders, CLV.
        data["score"] = customer_score_get(customer=activity.customer)
    return outbound_enqueue(
        event=event, key=f"activity:{activity.pk}", customer=activity.customer, data=data,
        occurred_at=activity.occurred_at,
    )


def _post(url: str, body: bytes, headers: dict) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, response.read(2000).decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(2000).decode(errors="replace")


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(BACKOFF_SECONDS * 2 ** (attempts - 1), BACKOFF_MAX_SECONDS))


def outbound_delivery_attempt(*, delivery_id: int, now: dt.datetime | None = None
                              ) -> OutboundDelivery:
    """POST a pending delivery once and log the attempt. A 2xx answer delivers it; anything
    else (or no answer) schedules the next attempt with exponential backoff, and after
    MAX_ATTEMPTS it has failed. Delivered and failed deliveries are never sent again."""
    with transaction.atomic():
        delivery = (OutboundDelivery.objects.select_for_update().select_related("subscription")
                    .get(pk=delivery_id))
        if delivery.status != OutboundDelivery.Status.PENDING:
            return delivery
        body = json.dumps({"id": f"evt_{delivery.pk}", **delivery.payload},
                          separators=(",", ":")).encode()
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json", "User-Agent": USER_AGENT,
            "Flywheel-Event": delivery.event, "Flywheel-Delivery": str(delivery.pk),
            SIGNATURE_HEADER: outbound_signature(secret=delivery.subscription.secret,
                                                 timestamp=timestamp, body=body),
        }
        started = time.monotonic()
        status, text, error = None, "", ""
        try:
            status, text = _post(delivery.subscription.url, body, headers)
        except (OSError, ValueError) as exc:  # refused, timed out, DNS, bad URL
            error = f"{type(exc).__name__}: {exc}"
        now = now or timezone.now()
        OutboundAttempt.objects.create(
            delivery=delivery, attempted_at=now, response_status=status, response_body=text,
            error=error, duration_ms=int((time.monotonic() - started) * 1000),
        )
        delivery.attempts += 1
        delivery.response_status = status
        if status is not None and 200 <= status < 300:
            delivery.status = OutboundDelivery.Status.DELIVERED
            delivery.delivered_at, delivery.next_attempt_at, delivery.error = now, None, ""
        else:
            delivery.error = error or f"HTTP {status}: {text[:500]}"
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.status = OutboundDelivery.Status.FAILED
                delivery.next_attempt_at = None
            else:
                delivery.next_attempt_at = now + backoff(delivery.attempts)
        delivery.save()
    return delivery


def outbound_delivery_resend(*, delivery: OutboundDelivery) -> OutboundDelivery:
    """Staff send a failed delivery again: it is pending with a fresh set of attempts."""
    with transaction.atomic():
        updated = OutboundDelivery.objects.filter(
            pk=delivery.pk, status=OutboundDelivery.Status.FAILED
        ).update(status=OutboundDelivery.Status.PENDING, attempts=0, next_attempt_at=None)
        if updated:
            from customers.tasks import outbound_delivery_send_task

            outbound_delivery_send_task.delay_on_commit(delivery.pk)
    delivery.refresh_from_db()
    return delivery


def outbound_deliveries_due(*, now: dt.datetime | None = None) -> int:
    """Queue pending deliveries whose next attempt is due (a safety net for lost tasks)."""
    now = now or timezone.now()
    from customers.tasks import outbound_delivery_send_task

    ids = list(OutboundDelivery.objects.filter(
        status=OutboundDelivery.Status.PENDING, next_attempt_at__lte=now,
    ).values_list("pk", flat=True)[:1000])
    for pk in ids:
        outbound_delivery_send_task.delay_on_commit(pk)
    return len(ids)
