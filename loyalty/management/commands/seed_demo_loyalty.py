"""manage.py seed_demo_loyalty: a live loyalty program on top of the demo shop (seed_demo).

The program, three tiers with badges drawn with Pillow, an order rule and activity rules,
rewards of each kind; then the demo's history replayed in date order through the services, so
every entry, lot, tier change and voucher has its real date: points for paid orders (held for
the return window, so recent ones are still pending), refunds, reviews, expiry (so some points
are gone and some expire soon), redemptions and used vouchers. Everything is keyed by its cause,
so running it twice changes nothing. Dates are replayed with time-machine (a dev dependency,
installed by `make install`); without it the history is posted at today's date.
"""

import contextlib
import datetime as dt
import io
import random
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw

from customers.models import Activity, Customer, Order, Refund
from customers.services import activity_record
from kernel.demo_words import translations_set
from loyalty import services
from loyalty.models import EarningRule, LoyaltyProgram, Redemption, Reward, Tier

SEED = 20261122
SHOPPER_EMAIL = "shopper@flywheel.local"

ACTIVITY_RULES = [
    # name, activity kind, points
    ("Welcome to the club", "account_created", 100),
    ("Quiz completed", "quiz_completed", 50),
    ("Survey answered", "nps_answered", 25),
    ("Friend referred", "referral_converted", 200),
    ("Review written", "review_written", 30),
]
REWARDS = [
    # name, kind, cost, extra fields
    ("€5 off your next order", Reward.Kind.AMOUNT_OFF, 300,
     {"amount": Decimal("5.00"), "currency": "EUR"}),
    ("10% off your next order", Reward.Kind.PERCENT_OFF, 600, {"percent": 10}),
    ("Free shipping", Reward.Kind.FREE_SHIPPING, 200, {}),
    ("Free Gentle Gel Cleanser", Reward.Kind.FREE_PRODUCT, 1200, {"sku": "CLN-GEL-150"}),
    ("Gold welcome: Caffeine Eye Cream", Reward.Kind.FREE_PRODUCT, 2500,
     {"sku": "EYE-CAF-15", "is_active": False,
      "description": "Given to customers when they reach Gold."}),
]
TIERS = [
    # name, position, threshold (amount spent this calendar year), colour, perks,
    # earn multiplier, entry points
    ("Bronze", 1, Decimal("0"), "#b08d57", "1 point per euro\nBirthday points",
     Decimal("1"), 0),
    ("Silver", 2, Decimal("120"), "#8a8f98",
     "25% more points on every order\nEarly access to new serums", Decimal("1.25"), 50),
    ("Gold", 3, Decimal("280"), "#c9a227",
     "50% more points on every order\nFree shipping all year\nA gift when you join Gold",
     Decimal("1.5"), 100),
]
REVIEW_SHARE = 0.4

# The demo shop's own words in the other languages, as a Turkish, an Iranian and a Taiwanese
# shop would write them (terms from locale/<lang>/GLOSSARY.md), keyed by the English name.
# Each row is (name, second text: perks or description) per language; None leaves it blank.
TIER_WORDS = {
    "Bronze": {
        "tr": ("Bronz", "Her 1 € için 1 puan\nDoğum gününüzde puan"),
        "fa": ("برنزی", "به ازای هر ۱ یورو، ۱ امتیاز\nامتیاز تولد"),
        "zh_hant": ("銅卡", "每消費 1 歐元累積 1 點\n生日點數"),
    },
    "Silver": {
        "tr": ("Gümüş", "Her siparişte %25 daha fazla puan\n"
                        "Yeni serumlara herkesten önce ulaşın"),
        "fa": ("نقره‌ای", "۲۵٪ امتیاز بیشتر در هر سفارش\nدسترسی زودتر به سرم‌های جدید"),
        "zh_hant": ("銀卡", "每筆訂單多得 25% 點數\n新品精華液搶先購"),
    },
    "Gold": {
        "tr": ("Altın", "Her siparişte %50 daha fazla puan\nYıl boyunca ücretsiz kargo\n"
                        "Altın seviyesine ulaştığınızda hediye"),
        "fa": ("طلایی", "۵۰٪ امتیاز بیشتر در هر سفارش\nارسال رایگان در تمام سال\n"
                        "هدیهٔ ورود به سطح طلایی"),
        "zh_hant": ("金卡", "每筆訂單多得 50% 點數\n全年免運費\n升級金卡即贈好禮"),
    },
}
REWARD_WORDS = {
    "€5 off your next order": {
        "tr": ("Sonraki siparişinizde 5 € indirim", None),
        "fa": ("۵ یورو تخفیف برای سفارش بعدی", None),
        "zh_hant": ("下次訂單折抵 5 歐元", None),
    },
    "10% off your next order": {
        "tr": ("Sonraki siparişinizde %10 indirim", None),
        "fa": ("۱۰٪ تخفیف برای سفارش بعدی", None),
        "zh_hant": ("下次訂單享 9 折", None),
    },
    "Free shipping": {
        "tr": ("Ücretsiz kargo", None),
        "fa": ("ارسال رایگان", None),
        "zh_hant": ("免運費", None),
    },
    "Free Gentle Gel Cleanser": {
        "tr": ("Hediye Gentle Gel Cleanser", None),
        "fa": ("ژل شست‌وشوی ملایم هدیه", None),
        "zh_hant": ("免費兌換溫和潔顏凝膠", None),
    },
    "Gold welcome: Caffeine Eye Cream": {
        "tr": ("Altın hoş geldin hediyesi: Kafeinli Göz Kremi",
               "Altın seviyesine ulaşan müşterilerimize hediye edilir."),
        "fa": ("هدیهٔ سطح طلایی: کرم دور چشم کافئین",
               "به مشتریانی که به سطح طلایی می‌رسند هدیه داده می‌شود."),
        "zh_hant": ("金卡見面禮：咖啡因眼霜", "升級為金卡的顧客即可獲贈。"),
    },
}
RULE_WORDS = {
    "One point per euro": {"tr": "Her 1 € için 1 puan", "fa": "به ازای هر یورو ۱ امتیاز",
                           "zh_hant": "每消費 1 歐元累積 1 點"},
    "Welcome to the club": {"tr": "Ödül Kulübü'ne hoş geldiniz",
                            "fa": "به باشگاه مشتریان خوش آمدید", "zh_hant": "歡迎加入會員俱樂部"},
    "Quiz completed": {"tr": "Cilt bakım testini tamamlayın", "fa": "آزمون پوست را کامل کنید",
                       "zh_hant": "完成肌膚測驗"},
    "Survey answered": {"tr": "Anketimizi yanıtlayın", "fa": "به نظرسنجی ما پاسخ دهید",
                        "zh_hant": "填寫滿意度問卷"},
    "Friend referred": {"tr": "Arkadaşınızı davet edin", "fa": "دوستان خود را معرفی کنید",
                        "zh_hant": "推薦朋友"},
    "Review written": {"tr": "Ürün yorumu yazın", "fa": "برای محصول نظر بنویسید",
                       "zh_hant": "撰寫商品評論"},
}


def _badge_png(colour: str, letter: str) -> bytes:
    """A round medal with the tier's initial, drawn at 512 px (the upload is resized)."""
    image = Image.new("RGBA", (512, 512), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((16, 16, 496, 496), fill=colour, outline="#1f1b2d", width=12)
    draw.ellipse((88, 88, 424, 424), outline="#ffffff", width=10)
    draw.text((256, 262), letter, fill="#ffffff", anchor="mm", font_size=220)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


class Command(BaseCommand):
    help = _("Add a live loyalty program to the demo shop (run seed_demo first): three tiers, "
             "earning rules, rewards, and points, tiers and vouchers for the demo's customers "
             "with their real dates. Running it again changes nothing.")

    def handle(self, *args, **options):
        rng = random.Random(SEED)
        now = timezone.now()
        today = now.replace(hour=0, minute=0, second=0, microsecond=0)
        # The demo's history is not news: its emails go nowhere.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            # The catalog is found and written by its English (default language) names.
            with translation.override(settings.MODELTRANSLATION_DEFAULT_LANGUAGE), \
                    transaction.atomic():
                self.program()
                rewards = self.rewards()
                self.tiers(rewards["Gold welcome: Caffeine Eye Cream"])
                self.rules()
                self.words()
            self.history(rng, today)
            with transaction.atomic():
                services.points_release_due(now=now)
                services.points_expire_due(now=now)
                self.redemptions(rng, today, rewards)
                services.tiers_recalculate(now=now)
        call_command("loyalty_audit", stdout=io.StringIO())
        counts = {tier.name: tier.accounts.count() for tier in Tier.objects.order_by("position")}
        self.stdout.write(_("Loyalty demo ready: %(tiers)s; %(vouchers)d vouchers.") % {
            "tiers": ", ".join(f"{name} {count}" for name, count in counts.items()),
            "vouchers": Redemption.objects.count()})

    # The program's catalog

    def program(self) -> None:
        program = LoyaltyProgram.get()
        wanted = {"tier_metric": LoyaltyProgram.TierMetric.SPENT,
                  "tier_period": LoyaltyProgram.TierPeriod.CALENDAR_YEAR,
                  "tier_retention_days": 365, "expiry": LoyaltyProgram.Expiry.AFTER_EARNING,
                  "expiry_months": 12, "expiry_reminder_days": 30,
                  "point_value": Decimal("0.01")}
        if any(getattr(program, name) != value for name, value in wanted.items()):
            for name, value in wanted.items():
                setattr(program, name, value)
            program.save()  # only when it differs: a second run changes no row

    def rewards(self) -> dict[str, Reward]:
        rewards = {}
        for name, kind, cost, extra in REWARDS:
            reward, _created = Reward.objects.get_or_create(
                name=name, defaults={"kind": kind, "cost": cost, "voucher_valid_days": 90,
                                     **extra})
            rewards[name] = reward
        return rewards

    def tiers(self, gold_gift: Reward) -> None:
        for name, position, threshold, colour, perks, multiplier, entry in TIERS:
            if Tier.objects.filter(name=name).exists():
                continue
            tier = Tier(name=name, position=position, threshold=threshold, colour=colour,
                        perks=perks, earn_multiplier=multiplier, entry_points=entry,
                        entry_reward=gold_gift if name == "Gold" else None)
            badge = services.tier_badge_clean(
                file=ContentFile(_badge_png(colour, name[0]), name=f"{name}.png"), name=name)
            tier.badge.save(badge.name, badge, save=False)
            # Saved directly: members are placed by the history replay, not recalculated now.
            tier.full_clean()
            tier.save()

    def rules(self) -> None:
        if not EarningRule.objects.filter(kind=EarningRule.Kind.ORDER).exists():
            EarningRule.objects.create(name="One point per euro", kind=EarningRule.Kind.ORDER,
                                       points_per_unit=Decimal("1"))
        for name, kind, points in ACTIVITY_RULES:
            EarningRule.objects.get_or_create(
                name=name, defaults={"kind": EarningRule.Kind.ACTIVITY, "activity_kind": kind,
                                     "points": points, "points_per_unit": Decimal("0")})

    def words(self) -> None:
        """The tiers', rewards' and rules' words in Turkish, Persian and Traditional Chinese."""
        for model, table, fields in ((Tier, TIER_WORDS, ("name", "perks")),
                                     (Reward, REWARD_WORDS, ("name", "description"))):
            for name, languages in table.items():
                translations_set(model, name, {
                    f"{field}_{code}": text for code, texts in languages.items()
                    for field, text in zip(fields, texts, strict=True)})
        for name, languages in RULE_WORDS.items():
            translations_set(EarningRule, name, {f"name_{code}": text
                                                 for code, text in languages.items()})

    # The history, in date order

    def history(self, rng: random.Random, today: dt.datetime) -> None:
        """Replayed once: orders that other demo apps add later (referred friends' orders)
        earn their points live, through the receivers, so a second run leaves them."""
        if Activity.objects.filter(key__startswith="demo:review:").exists():
            return
        events: list[tuple[dt.datetime, int, str, object]] = []
        orders = (Order.objects.filter(customer__isnull=False, paid_at__isnull=False)
                  .select_related("customer"))
        for order in orders:
            events.append((order.paid_at, 1, "order", order))
        for refund in Refund.objects.filter(order__in=orders).select_related("order"):
            events.append((min(refund.created_at, today), 2, "refund", refund))
        rewarded = set(EarningRule.objects.filter(kind=EarningRule.Kind.ACTIVITY)
                       .values_list("activity_kind", flat=True))
        for activity in Activity.objects.filter(kind__in=rewarded).select_related("customer"):
            events.append((activity.occurred_at, 3, "activity", activity))
        for order in orders.order_by("pk"):
            if rng.random() < REVIEW_SHARE and order.paid_at < today - dt.timedelta(days=10):
                events.append((order.paid_at + dt.timedelta(days=9), 4, "review", order))
        events.sort(key=lambda event: (event[0], event[1], getattr(event[3], "pk", 0)))
        for when, _order, kind, subject in events:
            with self.at(when), transaction.atomic():
                services.points_release_due(now=when)
                services.points_expire_due(now=when)
                if kind == "order":
                    services.points_award_for_order(order=subject)
                elif kind == "refund":
                    services.points_reverse_for_refund(order=subject.order, refund=subject)
                elif kind == "activity":
                    services.points_award_for_activity(activity=subject)
                else:
                    activity_record(
                        customer=subject.customer, kind="review_written", occurred_at=when,
                        reference=subject.name, key=f"demo:review:{subject.pk}",
                        data={"order": subject.name, "stars": rng.choice([4, 5, 5])})

    def redemptions(self, rng: random.Random, today: dt.datetime,
                    rewards: dict[str, Reward]) -> None:
        """Some customers spent points a few weeks ago; some used their voucher since. Done
        once: a second run finds the demo's redemptions and leaves them."""
        if Redemption.objects.filter(client_key__startswith="demo:redeem:").exists():
            return
        catalog = [reward for reward in rewards.values() if reward.is_active]
        customers = list(Customer.objects.filter(loyalty_account__balance__gte=200)
                         .order_by("email"))
        for index, customer in enumerate(customers):
            if customer.email != SHOPPER_EMAIL and rng.random() < 0.4:
                continue
            when = today - dt.timedelta(days=rng.randint(5, 40), hours=rng.randint(1, 10))
            affordable = [reward for reward in catalog
                          if reward.cost <= customer.loyalty_account.balance]
            if not affordable:
                continue
            reward = rng.choice(affordable)
            with self.at(when):
                redemption = services.redemption_create(
                    customer=customer, reward=reward, key=f"demo:redeem:{customer.pk}:1",
                    now=when)
            if index % 2 == 0 and customer.email != SHOPPER_EMAIL:
                with self.at(when + dt.timedelta(days=3)):
                    services.voucher_use(code=redemption.code,
                                         order_reference=f"demo-voucher-{customer.pk}")

    @staticmethod
    def at(when: dt.datetime):
        """Post what follows at `when` (time-machine), or now when it isn't installed."""
        try:
            import time_machine
        except ImportError:
            return contextlib.nullcontext()
        return time_machine.travel(when, tick=False)
