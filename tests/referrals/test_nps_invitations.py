"""Survey invitations: due orders get one email with eleven score links; the contact cap,
consent and order status decide who is asked; running again changes nothing."""

import datetime as dt
import re
from io import StringIO
from urllib.parse import unquote

import pytest
import time_machine
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from customers.models import Order
from referrals.nps.models import NpsInvitation, NpsSurvey, SurveyContact
from referrals.nps.services import nps_invitation_create, nps_invitations_create_due
from referrals.nps.tokens import token_read
from tests.conftest import at, at_once
from tests.factories import CustomerFactory, OrderFactory, SurveyContactFactory

from .nps_support import links_in

pytestmark = pytest.mark.django_db

NOW = at("2026-06-15T12:00:00Z")


@pytest.fixture(autouse=True)
def _june():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Run the service and its after-commit emails, as a worker would."""
    def run(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return nps_invitations_create_due(**kwargs)
    return run


def paid_order(days_ago: float, **fields):
    customer = fields.pop("customer", None) or CustomerFactory(accepts_marketing=True)
    paid = NOW - dt.timedelta(days=days_ago)
    return OrderFactory(customer=customer, placed_at=paid, paid_at=paid, **fields)


def test_a_due_order_gets_one_email_with_eleven_signed_score_links(mailoutbox, settings, send):
    settings.SITE_URL = "https://club.example.com"
    order = paid_order(14.5, name="#2001")
    order.customer.first_name = "Ada"
    order.customer.save()

    assert send(now=NOW) == 1

    invitation = NpsInvitation.objects.get()
    assert invitation.order == order and invitation.sent_at is not None
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [order.customer.email]
    assert "Hello Ada" in mail.body and "#2001" in mail.body
    html = mail.alternatives[0][0]
    for body in (mail.body, html):
        links = links_in(body)
        assert len(links) == 11
        scores = [token_read(link.split("/")[2]).score for link in links]
        assert scores == list(range(11))
    assert "https://club.example.com/nps/" in mail.body
    assert SurveyContact.objects.filter(customer=order.customer, survey="nps").count() == 1


def test_running_again_sends_nothing_twice(mailoutbox, send):
    paid_order(15)
    assert send(now=NOW) == 1
    assert send(now=NOW) == 0
    assert send(now=NOW + dt.timedelta(hours=1)) == 0
    assert NpsInvitation.objects.count() == 1
    assert len(mailoutbox) == 1


def test_an_order_waits_for_the_delay_and_old_orders_are_never_surveyed(mailoutbox):
    recent = paid_order(13)
    too_old = paid_order(14 + 15)  # became due 15 days ago: past the 14-day catch-up
    assert nps_invitations_create_due(now=NOW) == 0

    assert nps_invitations_create_due(now=NOW + dt.timedelta(days=1, minutes=1)) == 1
    assert list(NpsInvitation.objects.values_list("order", flat=True)) == [recent.pk]
    assert not NpsInvitation.objects.filter(order=too_old).exists()


def test_the_delay_is_a_setting():
    survey = NpsSurvey.get()
    survey.delay_days = 3
    survey.save()
    paid_order(4)
    assert nps_invitations_create_due(now=NOW) == 1


def test_a_customer_with_several_due_orders_is_asked_once_about_the_latest(mailoutbox, send):
    customer = CustomerFactory(accepts_marketing=True)
    paid_order(16, customer=customer)
    latest = paid_order(15, customer=customer)

    assert send(now=NOW) == 1
    assert NpsInvitation.objects.get().order == latest
    assert len(mailoutbox) == 1


def test_the_contact_cap_holds_for_90_days_then_lets_the_next_order_through():
    customer = CustomerFactory(accepts_marketing=True)
    paid_order(15, customer=customer)
    assert nps_invitations_create_due(now=NOW) == 1

    later = NOW + dt.timedelta(days=60)
    OrderFactory(customer=customer, placed_at=later - dt.timedelta(days=15),
                 paid_at=later - dt.timedelta(days=15))
    assert nps_invitations_create_due(now=later) == 0

    much_later = NOW + dt.timedelta(days=91)
    third = OrderFactory(customer=customer, placed_at=much_later - dt.timedelta(days=15),
                         paid_at=much_later - dt.timedelta(days=15))
    assert nps_invitations_create_due(now=much_later) == 1
    assert NpsInvitation.objects.filter(customer=customer).latest("created_at").order == third


def test_the_cap_is_shared_with_every_other_survey_email():
    order = paid_order(15)
    SurveyContactFactory(customer=order.customer, survey="post_purchase",
                         contacted_at=NOW - dt.timedelta(days=30))
    assert nps_invitations_create_due(now=NOW) == 0
    assert nps_invitation_create(order=order, now=NOW) is None


def test_consent_is_respected_and_erased_customers_are_never_asked():
    no_consent = paid_order(15, customer=CustomerFactory(accepts_marketing=False))
    erased = paid_order(15, customer=CustomerFactory(accepts_marketing=True, erased_at=NOW))
    assert nps_invitations_create_due(now=NOW) == 0

    survey = NpsSurvey.get()
    survey.requires_marketing_consent = False
    survey.save()
    assert nps_invitations_create_due(now=NOW) == 1
    assert NpsInvitation.objects.get().order == no_consent
    assert not NpsInvitation.objects.filter(order=erased).exists()


def test_refunded_cancelled_and_guest_orders_are_not_surveyed():
    paid_order(15, status=Order.Status.REFUNDED)
    paid_order(15, status=Order.Status.CANCELLED)
    guest = paid_order(15)
    guest.customer = None
    guest.save()
    partly = paid_order(15, status=Order.Status.PARTIALLY_REFUNDED)

    assert nps_invitations_create_due(now=NOW) == 1
    assert NpsInvitation.objects.get().order == partly


def test_a_paused_survey_sends_nothing():
    survey = NpsSurvey.get()
    survey.is_active = False
    survey.save()
    paid_order(15)
    assert nps_invitations_create_due(now=NOW) == 0


def test_the_command_and_the_hourly_beat_schedule_run_the_same_service(
    mailoutbox, django_capture_on_commit_callbacks
):
    task = PeriodicTask.objects.get(name="NPS: send due survey invitations")
    assert task.task == "referrals.nps_invitations_send_due" and task.enabled
    assert task.crontab.minute == "15"

    from referrals.nps.tasks import nps_invitations_send_due_task

    paid_order(15)
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_nps_invitations", stdout=out)
    assert "1 NPS invitation(s) created" in out.getvalue()

    paid_order(15)
    with django_capture_on_commit_callbacks(execute=True):
        assert nps_invitations_send_due_task.delay().get() == 1
    assert len(mailoutbox) == 2


def test_an_invitation_email_is_sent_once_even_if_the_task_runs_twice(
    mailoutbox, django_capture_on_commit_callbacks
):
    from referrals.nps.tasks import nps_invitation_send_task

    with django_capture_on_commit_callbacks(execute=True):
        invitation = nps_invitation_create(order=paid_order(15), now=NOW)
    assert len(mailoutbox) == 1
    nps_invitation_send_task.delay(invitation.pk)
    assert len(mailoutbox) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_never_pass_the_cap_twice():
    customer = CustomerFactory(accepts_marketing=True)
    orders = [paid_order(15, customer=customer) for _ in range(4)]

    results = at_once(4, lambda i: nps_invitation_create(order=orders[i], now=NOW))

    assert not [r for r in results if isinstance(r, Exception)]
    assert NpsInvitation.objects.filter(customer=customer).count() == 1
    assert SurveyContact.objects.filter(customer=customer).count() == 1


def test_a_headless_storefront_gets_the_links_pointing_at_its_own_page(mailoutbox, send):
    survey = NpsSurvey.get()
    survey.answer_page_url = "https://shop.example/pages/nps?t={token}"
    survey.save()
    paid_order(15)
    send(now=NOW)
    links = re.findall(r"https://shop\.example/pages/nps\?t=(\S+)", mailoutbox[0].body)
    assert len(links) == 11
    assert token_read(unquote(links[7])).score == 7
