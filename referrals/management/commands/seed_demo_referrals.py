"""manage.py seed_demo_referrals: referrals in every state for the demo shop."""

import contextlib
import dataclasses
import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Count
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from customers import services as customer_services
from customers.models import User
from customers.services import CustomerData, LineData, OrderEvent
from kernel.demo_words import translations_set
from loyalty import services as loyalty_services
from referrals import services
from referrals.models import Referral, ReferralProgram

DEMO_IP = "198.51.100.23"
DEMO_BROWSER = "Mozilla/5.0 (demo phone)"
OTHER_IP = "203.0.113.{n}"
ADVOCATES = [
    ("shopper@flywheel.local", "Sam", "Shopper"),
    ("amelia.demo-advocate@example.com", "Amelia", "Martin"),
    ("noah.demo-advocate@example.com", "Noah", "Schneider"),
]
# (advocate index, friend, name, signed up days ago, paid days ago or None, refund days ago or
#  None, device: "own" shares the advocate's IP and browser, "burst" one shared IP, else own)
STORY = [
    (0, "mia.friend@example.net", "Mia Novak", 3, None, None, ""),            # signed up
    (0, "leo.friend@example.net", "Leo Costa", 6, 2, None, ""),               # pending
    (0, "ivy.friend@example.net", "Ivy Jensen", 45, 40, None, ""),            # rewarded
    (1, "ben.friend@example.net", "Ben Moreau", 70, 66, None, ""),            # rewarded
    (1, "eva.friend@example.net", "Eva Silva", 30, 26, None, ""),             # rewarded
    (2, "kai.friend@example.net", "Kai Okafor", 50, 48, None, ""),            # rewarded
    (0, "max.friend@example.net", "Max Fischer", 10, 8, 6, ""),               # void
    (1, "zoe.friend@example.net", "Zoe Haddad", 90, 85, 20, ""),              # reversed
    (0, "shopper+deals@flywheel.local", "", 4, None, None, ""),           # blocked (self)
    (0, "lena.friend@example.net", "Lena Berg", 2, 1, None, "own"),           # flagged
    (2, "noah.twin@example.org", "Noah Schneider", 3, 2, None, ""),           # flagged
    (2, "burst1@example.org", "", 5, 4, None, "burst"),
    (2, "burst2@example.org", "", 5, 4, None, "burst"),
    (2, "burst3@example.org", "", 5, 4, None, "burst"),
    (2, "burst4@example.org", "", 5, 4, None, "burst"),                       # flagged (burst)
    (1, "tom.friend@example.net", "Tom Dubois", 9, 7, None, "own"),           # rejected
    (1, "ana.friend@example.net", "Ana Ricci", 50, None, None, ""),           # expired
]
REJECTED = "tom.friend@example.net"


class Command(BaseCommand):
    help = _("Add referrals in every state (signed up, pending, flagged for review, rewarded, "
             "void, reversed, blocked, rejected, expired) to the demo shop. Running it again "
             "adds nothing.")

    def handle(self, *args, **options):
        today = timezone.now().replace(hour=9, minute=0, second=0, microsecond=0)
        with transaction.atomic():
            # The friends' reward is found by its English (default language) name.
            with translation.override(settings.MODELTRANSLATION_DEFAULT_LANGUAGE):
                program = self.program()
                self.words()
            advocates = [customer_services.customer_upsert(email=email, first_name=first,
                                                          last_name=last)
                         for email, first, last in ADVOCATES]
            codes = [services.referral_code_get_or_create(customer=c) for c in advocates]
            for number, (who, email, name, signed, paid, refunded, device) in enumerate(STORY):
                code = codes[who]
                ip, browser = OTHER_IP.format(n=number + 10), f"Browser {number}"
                if device == "own":
                    ip, browser = DEMO_IP, DEMO_BROWSER
                    services.referral_owner_seen(code=code, ip=ip, user_agent=browser,
                                                 now=today - dt.timedelta(days=signed, hours=1))
                elif device == "burst":
                    ip = "192.0.2.99"
                with contextlib.suppress(services.referrals.ReferralBlocked):
                    services.referral_signup(code=code, email=email, name=name, ip=ip,
                                             user_agent=browser,
                                             now=today - dt.timedelta(days=signed))
                if paid is not None:
                    self.order(number, email, name, today - dt.timedelta(days=paid), refunded,
                               today)
            self.clicks(codes, today)
            services.referrals_reward_due(now=today)
            self.review(program)
            # Friends who just joined take their place in the tiers, as the loyalty demo's
            # members did, so a second run has nothing left to move.
            loyalty_services.tiers_recalculate(now=today)
        counts = dict(Referral.objects.values_list("status").annotate(n=Count("pk"))
                      .values_list("status", "n"))
        self.stdout.write(self.style.SUCCESS(_("Demo referrals ready: %(counts)s")
                                             % {"counts": counts}))

    def words(self) -> None:
        """The friends' reward (and the referral rule, when this seed made it) in Turkish,
        Persian and Traditional Chinese, as a native shop would write them
        (locale/<lang>/GLOSSARY.md)."""
        from loyalty.models import EarningRule, Reward

        translations_set(EarningRule, "Referred a friend", {
            "name_tr": "Arkadaşınızı davet edin", "name_fa": "دوستان خود را معرفی کنید",
            "name_zh_hant": "推薦朋友"})
        translations_set(Reward, "10% off your first order", {
            "name_tr": "İlk siparişinizde %10 indirim",
            "description_tr": "Davet edilen arkadaşlara hoş geldin hediyesi (satılmaz, "
                              "hediye edilir).",
            "name_fa": "۱۰٪ تخفیف برای اولین سفارش",
            "description_fa": "هدیهٔ خوش‌آمدگویی به دوستان معرفی‌شده (هدیه است، فروشی نیست).",
            "name_zh_hant": "首筆訂單享 9 折",
            "description_zh_hant": "送給受推薦朋友的見面禮（僅供贈送，無法以點數兌換）。",
        })

    def program(self) -> ReferralProgram:
        from loyalty.models import EarningRule, Reward

        friend_reward, _created = Reward.objects.get_or_create(
            name="10% off your first order",
            defaults={"kind": Reward.Kind.PERCENT_OFF, "percent": 10, "cost": 1000,
                      "is_active": False, "voucher_valid_days": 60,
                      "description": "The welcome gift for referred friends (given, not sold)."},
        )
        if not EarningRule.objects.filter(kind="activity",
                                          activity_kind="referral_converted").exists():
            EarningRule.objects.create(name="Referred a friend", kind="activity",
                                       activity_kind="referral_converted", points=500,
                                       points_per_unit=Decimal("0"))
        program = ReferralProgram.get()
        if program.friend_reward_id is None:
            program.friend_reward = friend_reward
            program.save(update_fields=["friend_reward", "updated_at"])
        return program

    def order(self, number, email, name, paid_at, refunded_days_ago, today) -> None:
        referral = Referral.objects.filter(friend_email=email).first()
        first, _sep, last = name.partition(" ")
        total = Decimal("40.00") + number * 7
        event = OrderEvent(
            source="generic", external_id=f"demo-ref-{number:03d}", name=f"#R{number:03d}",
            status="paid", placed_at=paid_at, updated_at=paid_at, currency="EUR", total=total,
            customer=CustomerData(external_id=f"demo-ref-c-{number:03d}", email=email,
                                  first_name=first, last_name=last),
            lines=(LineData(sku="SER-VITC-30", name="Vitamin C Brightening Serum 30 ml",
                            quantity=1, unit_price=total),),
            discount_codes=(referral.voucher_code,) if referral and referral.voucher_code
            else (),
            refunded_total=Decimal("0"),
        )
        customer_services.order_apply(event=event)
        if refunded_days_ago is not None:
            when = today - dt.timedelta(days=refunded_days_ago)
            customer_services.order_apply(event=dataclasses.replace(
                event, status="refunded", refunded_total=total, updated_at=when))

    def clicks(self, codes, today) -> None:
        """Clicks on each advocate's link over the last weeks (only on a first run: clicks
        count up)."""
        for index, code in enumerate(codes):
            if code.clicks.exists():
                continue
            for visitor in range(12 + 9 * index):
                services.referral_click_record(
                    code=code.code, ip=f"100.64.{index}.{visitor}",
                    now=today - dt.timedelta(days=(visitor * 5) % 60))

    def review(self, program) -> None:
        staff = User.objects.filter(is_superuser=True).order_by("pk").first()
        referral = Referral.objects.filter(friend_email=REJECTED,
                                           status=Referral.Status.FLAGGED).first()
        if referral and staff:
            services.referral_reject(referral=referral, by=staff,
                                     reason="Same phone as the referrer; no reply to our email.")

