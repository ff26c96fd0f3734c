"""manage.py seed_demo_segments: the demo shop with a customer in every stage and segment."""

import datetime as dt
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.translation import gettext as _

from customers import services
from customers.ingestion.events import CustomerData, OrderEvent
from customers.models import (
    Attribute,
    Customer,
    CustomerScore,
    RfmSegment,
    Segment,
    SegmentRule,
    Stage,
)

DEMO_DOMAIN = "segments.demo"
# One demo customer per stage: order ages in days (oldest first). "Won back" bought, lapsed,
# then orders again today.
STAGED = {
    "prospect": [],
    "first-time": [20],
    "repeat": [90, 45, 10],
    "loyal": [300, 240, 180, 120, 60, 14],
    "at-risk": [400, 330, 250, 180],
    "lapsed": [900, 800, 700],
    "won-back": [500, 420, 360],
    # Two RFM corners the demo shop's random history may leave empty.
    "cant-lose": [620, 580, 540, 500, 460, 420, 380, 340, 300],
    "about-to-sleep": [130],
}
SEGMENTS = [
    ("Oily skin, at risk", "all", [("attribute", "skin_type", "is", "oily"),
                                   ("stage", "", "is", "at_risk")]),
    ("Champions", "all", [("rfm_segment", "", "is", "champions")]),
    ("Big spenders", "all", [("total_spent", "", "gt", "150")]),
    ("Detractors", "all", [("nps_category", "", "is", "detractor")]),
]


def _order(customer_email: str, number: int, placed: dt.datetime, total: str) -> OrderEvent:
    return OrderEvent(
        source="generic", external_id=f"segdemo-{customer_email}-{number}", name=f"#S{number}",
        status="paid", currency="EUR", total=Decimal(total), placed_at=placed,
        updated_at=placed, customer=CustomerData(email=customer_email, accepts_marketing=True),
    )


class Command(BaseCommand):
    help = _("Give the demo shop a customer in every lifecycle stage, a few custom segments, "
             "and recompute stages, RFM scores and CLV. Running it again adds nothing.")

    def handle(self, *args, **options):
        now = timezone.now()
        added = not CustomerScore.objects.exists()
        for name, ages in STAGED.items():
            email = f"{name}@{DEMO_DOMAIN}"
            if Customer.objects.filter(email=email).exists():
                continue  # seeded before: its orders are history now
            added = True
            for number, days in enumerate(ages, start=1):
                total = "12.00" if name == "about-to-sleep" else f"{35 + 15 * number}.00"
                services.order_apply(event=_order(email, number, now - dt.timedelta(days=days),
                                                  total))
            customer = services.customer_upsert(email=email, first_name=name.capitalize(),
                                                 accepts_marketing=True, consent_source="demo")
            services.attribute_set(customer=customer, key="skin_type",
                                   value="oily" if name == "at-risk" else "dry",
                                   source_kind=Attribute.SourceKind.QUIZ)
            if name == "won-back":  # lapsed above; the comeback order arrives today
                services.order_apply(event=_order(email, 99, timezone.now(), "64.00"))
        for name, match, rules in SEGMENTS:
            segment, created = Segment.objects.get_or_create(name=name,
                                                             defaults={"match": match})
            if created:
                SegmentRule.objects.bulk_create([
                    SegmentRule(segment=segment, field=f, attribute_key=k, operator=o, value=v)
                    for f, k, o, v in rules])
        if not added:  # a second run recomputes nothing, so it changes no row
            self.stdout.write(_("Segments: already seeded."))
            return
        result = services.segments_recompute()
        stages = set(CustomerScore.objects.values_list("stage", flat=True))
        segments = set(CustomerScore.objects.values_list("rfm_segment", flat=True))
        self.stdout.write(_("Segments: %(n)d customers scored; %(s)d of %(S)d stages and "
                            "%(r)d of %(R)d RFM segments present.") % {
            "n": result.customers, "s": len(stages & set(Stage.values)), "S": len(Stage),
            "r": len(segments & set(RfmSegment.values)), "R": len(RfmSegment)})
