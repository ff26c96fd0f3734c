"""manage.py seed_demo_nps: a year of NPS answers on the demo shop's orders."""

import datetime as dt
import random

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import NpsCategory, Order, User
from referrals.nps.models import NpsFollowUp, NpsInvitation, NpsResponse, NpsSurvey
from referrals.nps.services import (
    SURVEYED_STATUSES,
    nps_answer_record,
    nps_comment_add,
    nps_follow_up_update,
    nps_invitation_create,
)

SEED = 20240917
MONTHS = 12
ANSWER_RATE = 0.8
OPEN_CASES = 2
COMMENTS = {
    NpsCategory.PROMOTER: [
        "The vitamin C serum changed my skin in two weeks.",
        "Fast delivery and lovely packaging.",
        "The quiz recommended exactly what I needed.",
        "Great customer service, they answered within the hour.",
        "",
    ],
    NpsCategory.PASSIVE: [
        "Good products, but shipping took a while.",
        "I'd like travel sizes.",
        "Nice, a bit pricey.",
        "",
    ],
    NpsCategory.DETRACTOR: [
        "My parcel arrived with a broken pump bottle.",
        "The moisturiser broke me out and the return was a hassle.",
        "Delivery took three weeks and nobody answered my emails.",
        "The SPF left a white cast, not what the description said.",
    ],
}


def _score(rng: random.Random, progress: float) -> int:
    """Answers improve over the year (progress 0 → 1), so the trend chart has a shape."""
    roll = rng.random()
    if roll < 0.30 - 0.15 * progress:
        return rng.choice([2, 3, 4, 5, 6, 6])
    if roll < 0.62 - 0.22 * progress:
        return rng.choice([7, 8])
    return rng.choice([9, 10, 10])


class Command(BaseCommand):
    help = _("Add a year of NPS survey answers to the demo shop's orders (the contact cap and "
             "consent hold), with detractor follow-ups in every state. Running it again adds "
             "nothing.")

    def handle(self, *args, **options):
        now = timezone.now()
        survey = NpsSurvey.get()
        delay = dt.timedelta(days=survey.delay_days)
        start = now - dt.timedelta(days=30 * MONTHS) - delay
        orders = (Order.objects.filter(paid_at__gte=start, paid_at__lte=now - delay,
                                       status__in=SURVEYED_STATUSES, customer__isnull=False,
                                       customer__erased_at__isnull=True)
                  .exclude(nps_invitations__isnull=False).order_by("paid_at", "id"))
        staff = User.objects.filter(is_staff=True).order_by("pk").first()
        created = answered = 0
        with transaction.atomic():
            for order in orders:
                asked_at = order.paid_at + delay
                invitation = nps_invitation_create(order=order, survey=survey, now=asked_at)
                if invitation is None:
                    continue
                created += 1
                # The demo's emails "went out" when asked: the send task finds nothing to send.
                NpsInvitation.objects.filter(pk=invitation.pk).update(sent_at=asked_at)
                rng = random.Random(SEED + order.pk)
                if rng.random() > ANSWER_RATE:
                    continue
                progress = (asked_at - start).total_seconds() / (now - start).total_seconds()
                at = min(asked_at + dt.timedelta(hours=rng.randint(1, 72)), now)
                response, _new = nps_answer_record(invitation=invitation,
                                                   score=_score(rng, progress), now=at)
                comment = rng.choice(COMMENTS[response.category])
                nps_comment_add(response=response, comment=comment,
                                now=at + dt.timedelta(minutes=2))
                answered += 1
            self.work_the_queue(staff, now)
        self.stdout.write(_("NPS: %(created)d invitations, %(answered)d answers added "
                            "(%(total)d answers in all).")
                          % {"created": created, "answered": answered,
                             "total": NpsResponse.objects.count()})

    def work_the_queue(self, staff, now):
        """The newest cases stay open for staff to pick up; the next one is contacted and the
        older ones are resolved."""
        if staff is None:
            return
        cases = list(NpsFollowUp.objects.filter(status=NpsFollowUp.Status.OPEN, notes="")
                     .order_by("-created_at", "-id")[OPEN_CASES:])
        for index, case in enumerate(cases):
            contacted = case.created_at + dt.timedelta(days=1)
            nps_follow_up_update(follow_up=case, by=staff, status="contacted", now=contacted,
                                 notes=_("Called; a replacement is on its way."))
            if index:  # the newest handled case is still waiting on the customer
                nps_follow_up_update(follow_up=case, by=staff, status="resolved",
                                     now=contacted + dt.timedelta(days=3))
