"""Outbound webhooks: events from the timeline, signed, retried with backoff, logged."""

import datetime as dt
import hashlib
import hmac
import http.server
import json
import threading

import pytest
import time_machine

from customers import services
from customers.models import Activity, OutboundDelivery, WebhookSubscription
from customers.segments.services.webhooks import (
    MAX_ATTEMPTS,
    outbound_deliveries_due,
    outbound_delivery_attempt,
    outbound_delivery_resend,
    outbound_signature,
)
from tests.conftest import assert_configuration_read_once_per_batch
from tests.factories import CustomerFactory

SECRET = "whsec-test"


class Receiver:
    """A real HTTP endpoint on localhost that answers with the given statuses in turn."""

    def __init__(self, statuses=(200,)):
        self.statuses = list(statuses)
        self.requests: list[tuple[dict, bytes]] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                status = receiver.statuses.pop(0) if len(receiver.statuses) > 1 else \
                    receiver.statuses[0]
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"try later")

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(statuses=(200,)):
        made.append(Receiver(statuses))
        return made[-1]

    yield make
    for r in made:
        r.close()


def subscribe(url, events=("nps.detractor",)) -> WebhookSubscription:
    return WebhookSubscription.objects.create(name="CRM", url=url, secret=SECRET,
                                              events=list(events))


def verify(headers: dict, body: bytes) -> bool:
    """What a receiver does with the Flywheel-Signature header."""
    parts = dict(item.split("=", 1) for item in headers["Flywheel-Signature"].split(","))
    expected = hmac.new(SECRET.encode(), f"{parts['t']}.".encode() + body,
                        hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


def test_a_detractor_answer_is_posted_signed_after_commit(db, receiver,
                                                          django_capture_on_commit_callbacks):
    endpoint = receiver()
    subscribe(endpoint.url)
    customer = CustomerFactory(email="unhappy@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        services.activity_record(customer=customer, kind=Activity.Kind.NPS_ANSWERED,
                                 data={"score": 3, "category": "detractor"}, key="nps:1")
        assert endpoint.requests == []  # nothing leaves before commit

    [(headers, body)] = endpoint.requests
    assert verify(headers, body)
    payload = json.loads(body)
    assert payload["event"] == "nps.detractor"
    assert payload["customer"]["email"] == "unhappy@example.com"
    assert payload["data"]["score"] == 3
    assert headers["Flywheel-Event"] == "nps.detractor"
    delivery = OutboundDelivery.objects.get()
    assert delivery.status == OutboundDelivery.Status.DELIVERED
    assert delivery.attempt_log.get().response_status == 200


def test_a_tampered_body_fails_the_signature():
    body = b'{"event":"quiz.completed"}'
    header = outbound_signature(secret=SECRET, timestamp=1700000000, body=body)
    assert verify({"Flywheel-Signature": header}, body)
    assert not verify({"Flywheel-Signature": header}, body.replace(b"quiz", b"quiz2"))


@pytest.mark.parametrize(("kind", "data", "event"), [
    ("nps_answered", {"category": "promoter"}, None),
    ("nps_answered", {"category": "detractor"}, "nps.detractor"),
    ("referral_status_changed", {"status": "pending"}, None),
    ("referral_status_changed", {"status": "rewarded"}, "referral.rewarded"),
    ("quiz_completed", {}, "quiz.completed"),
    ("tier_changed", {"to": "Gold"}, "loyalty.tier_changed"),
    ("points_expiring", {"points": 120, "expires_at": "2026-12-01"}, "loyalty.points_expiring"),
    ("stage_changed", {"from": "repeat", "to": "at_risk"}, "customer.stage_changed"),
    ("order_paid", {}, None),
])
def test_which_activities_become_which_events(db, kind, data, event):
    all_events = [e for e, _label in OutboundDelivery._meta.get_field("event").choices]
    subscribe("http://127.0.0.1:9/unused", events=all_events)
    services.activity_record(customer=CustomerFactory(), kind=kind, data=data)
    assert list(OutboundDelivery.objects.values_list("event", flat=True)) == (
        [event] if event else [])


def test_only_subscribed_events_are_sent_and_a_replayed_activity_once(db):
    subscribe("http://127.0.0.1:9/unused", events=["quiz.completed"])
    customer = CustomerFactory()
    services.activity_record(customer=customer, kind="tier_changed", key="tier:1")
    for _ in range(2):
        services.activity_record(customer=customer, kind="quiz_completed", key="quiz:1")
    assert OutboundDelivery.objects.count() == 1


def test_a_batch_of_activities_reads_the_subscriptions_once(db):
    subscribe("http://127.0.0.1:9/unused", events=["quiz.completed"])
    subscribe("http://127.0.0.1:9/other", events=["loyalty.tier_changed"])
    customers = CustomerFactory.create_batch(11)

    assert_configuration_read_once_per_batch(
        lambda customer: services.activity_record(customer=customer, kind="quiz_completed",
                                                  key=f"quiz:{customer.pk}"),
        customers)

    assert sorted(OutboundDelivery.objects.values_list("customer_id", flat=True)) == sorted(
        customer.pk for customer in customers)


def test_outside_a_batch_a_switched_off_subscription_counts_from_the_next_activity(db):
    subscription = subscribe("http://127.0.0.1:9/unused", events=["quiz.completed"])
    before, after = CustomerFactory(), CustomerFactory()

    services.activity_record(customer=before, kind="quiz_completed", key="quiz:before")
    WebhookSubscription.objects.filter(pk=subscription.pk).update(is_active=False)
    services.activity_record(customer=after, kind="quiz_completed", key="quiz:after")

    assert list(OutboundDelivery.objects.values_list("customer_id", flat=True)) == [before.pk]


def test_a_failing_endpoint_is_retried_with_backoff_then_delivered(
        db, receiver, django_capture_on_commit_callbacks):
    endpoint = receiver(statuses=(500, 503, 200))
    subscribe(endpoint.url, events=["quiz.completed"])
    start = dt.datetime(2026, 1, 1, 3, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        with django_capture_on_commit_callbacks(execute=True):
            services.activity_record(customer=CustomerFactory(), kind="quiz_completed",
                                     key="quiz:retry")
        delivery = OutboundDelivery.objects.get()
        assert delivery.status == OutboundDelivery.Status.PENDING
        assert delivery.next_attempt_at == start + dt.timedelta(seconds=30)
        with django_capture_on_commit_callbacks(execute=True):
            assert outbound_deliveries_due() == 0  # not due yet
        for wait in (30, 60):
            traveller.shift(dt.timedelta(seconds=wait))
            with django_capture_on_commit_callbacks(execute=True):
                assert outbound_deliveries_due() == 1
    delivery.refresh_from_db()
    assert delivery.status == OutboundDelivery.Status.DELIVERED
    assert delivery.attempts == 3
    assert [a.response_status for a in delivery.attempt_log.all()] == [500, 503, 200]
    bodies = {body for _headers, body in endpoint.requests}
    assert len(bodies) == 1  # every retry sends the same event id and body


def test_backoff_doubles_and_gives_up_after_the_last_attempt(db, receiver,
                                                            django_capture_on_commit_callbacks):
    endpoint = receiver(statuses=(500,))
    subscription = subscribe(endpoint.url)
    delivery = OutboundDelivery.objects.create(subscription=subscription, event="nps.detractor",
                                               key="manual", payload={"event": "nps.detractor"})
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    waits = []
    for _ in range(MAX_ATTEMPTS):
        delivery = outbound_delivery_attempt(delivery_id=delivery.pk, now=now)
        if delivery.next_attempt_at:
            waits.append((delivery.next_attempt_at - now).total_seconds())
    assert waits[:3] == [30, 60, 120]
    assert delivery.status == OutboundDelivery.Status.FAILED
    assert delivery.attempt_log.count() == MAX_ATTEMPTS
    assert "HTTP 500" in delivery.error
    assert outbound_delivery_attempt(delivery_id=delivery.pk).attempts == MAX_ATTEMPTS

    endpoint.statuses = [200]
    with django_capture_on_commit_callbacks(execute=True):
        outbound_delivery_resend(delivery=delivery)
    delivery.refresh_from_db()
    assert delivery.status == OutboundDelivery.Status.DELIVERED


def test_an_unreachable_endpoint_is_logged_not_raised(db):
    subscription = subscribe("http://127.0.0.1:9/closed")
    delivery = OutboundDelivery.objects.create(subscription=subscription, event="nps.detractor",
                                               key="closed", payload={})
    delivery = outbound_delivery_attempt(delivery_id=delivery.pk)
    assert delivery.status == OutboundDelivery.Status.PENDING
    assert "Error" in delivery.attempt_log.get().error


def test_admin_logs_deliveries_and_resends_failed_ones(db, admin_client, receiver,
                                                      django_capture_on_commit_callbacks):
    endpoint = receiver(statuses=(200,))
    subscription = subscribe(endpoint.url)
    failed = OutboundDelivery.objects.create(
        subscription=subscription, event="nps.detractor", key="k", payload={},
        status=OutboundDelivery.Status.FAILED, attempts=MAX_ATTEMPTS)
    assert admin_client.get("/admin/customers/outbounddelivery/").status_code == 200
    assert admin_client.get(f"/admin/customers/outbounddelivery/{failed.pk}/change/"
                            ).status_code == 200
    confirm = admin_client.post("/admin/customers/outbounddelivery/", {
        "action": "resend_failed", "_selected_action": [failed.pk]})
    assert b"Send failed deliveries again?" in confirm.content
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post("/admin/customers/outbounddelivery/", {
            "action": "resend_failed", "_selected_action": [failed.pk], "post": "yes"})
    failed.refresh_from_db()
    assert failed.status == OutboundDelivery.Status.DELIVERED
    add = admin_client.post("/admin/customers/webhooksubscription/add/", {
        "name": "Klaviyo", "url": "https://example.com/hook", "secret": "x",
        "events": ["quiz.completed", "nps.detractor"], "is_active": "on"})
    assert add.status_code == 302
    assert WebhookSubscription.objects.get(name="Klaviyo").events == [
        "quiz.completed", "nps.detractor"]
