"""The demo's NPS answers: a year of them, detractor cases in every state, added once."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from customers.models import Activity
from referrals.nps.models import NpsFollowUp, NpsInvitation, NpsResponse
from referrals.nps.selectors import nps_trend
from tests.factories import CustomerFactory, OrderFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_seed_demo_nps_fills_a_year_of_answers_once():
    UserFactory(email="admin@example.com", is_staff=True)
    now = timezone.now()
    for index in range(40):
        customer = CustomerFactory(accepts_marketing=index % 5 != 0)
        for months_ago in range(0, 13, 2):
            paid = now - dt.timedelta(days=30 * months_ago + 15 + (index * 7) % 60)
            OrderFactory(customer=customer, placed_at=paid, paid_at=paid)

    call_command("seed_demo_nps", stdout=StringIO())

    counts = (NpsInvitation.objects.count(), NpsResponse.objects.count(),
              NpsFollowUp.objects.count(), Activity.objects.filter(kind="nps_answered").count())
    assert counts[1] > 50 and counts[1] == counts[3]
    months_with_answers = [row for row in nps_trend(months=12) if row["responses"]]
    assert len(months_with_answers) >= 6  # several months: the chart has a shape
    statuses = set(NpsFollowUp.objects.values_list("status", flat=True))
    assert statuses == {"open", "contacted", "resolved"}
    assert NpsFollowUp.objects.filter(status="open").count() == 2
    assert not NpsInvitation.objects.filter(customer__accepts_marketing=False).exists()

    out = StringIO()
    call_command("seed_demo_nps", stdout=out)
    assert "0 invitations, 0 answers added" in out.getvalue()
    assert (NpsInvitation.objects.count(), NpsResponse.objects.count(),
            NpsFollowUp.objects.count(),
            Activity.objects.filter(kind="nps_answered").count()) == counts
