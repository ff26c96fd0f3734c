"""manage.py seed_demo: a small skincare shop to click around in."""

import dataclasses
import datetime as dt
import io
import random
from decimal import Decimal

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers import services
from customers.ingestion.events import CustomerData, LineData, OrderEvent
from customers.models import (
    Activity,
    ApiKey,
    Attribute,
    Customer,
    Order,
    OrderLine,
    Refund,
    User,
)

DEMO_PASSWORD = "flywheel-demo"
ADMIN_EMAIL = "admin@flywheel.local"
SHOPPER_EMAIL = "shopper@flywheel.local"
API_KEY_NAME = "Demo storefront"
SEED = 20240917
CUSTOMER_COUNT = 40
ORDER_COUNT = 120
DAYS_OF_HISTORY = 548  # 18 months
CENT = Decimal("0.01")

PRODUCTS = [
    ("SER-VITC-30", "Vitamin C Brightening Serum 30 ml", "34.00"),
    ("SER-HA-30", "Hyaluronic Acid Hydrating Serum 30 ml", "28.00"),
    ("SER-NIA-30", "Niacinamide 10% Serum 30 ml", "24.00"),
    ("SER-RET-30", "Retinol 0.2% Night Serum 30 ml", "38.00"),
    ("CLN-GEL-150", "Gentle Gel Cleanser 150 ml", "18.50"),
    ("CLN-OIL-200", "Cleansing Oil 200 ml", "22.00"),
    ("CLN-BALM-100", "Melting Cleansing Balm 100 ml", "26.00"),
    ("SPF-50-50", "Daily Fluid SPF 50 50 ml", "26.00"),
    ("SPF-30-TINT", "Tinted Mineral SPF 30 40 ml", "29.00"),
    ("MST-LIGHT-50", "Light Gel Moisturiser 50 ml", "27.00"),
    ("MST-RICH-50", "Rich Barrier Cream 50 ml", "32.00"),
    ("TNR-BHA-100", "BHA Exfoliating Toner 100 ml", "24.00"),
    ("EYE-CAF-15", "Caffeine Eye Cream 15 ml", "21.00"),
    ("MSK-CLAY-75", "Purifying Clay Mask 75 ml", "19.00"),
]
FIRST_NAMES = [
    "Amelia", "Noah", "Sofia", "Lucas", "Chloé", "Mateo", "Leila", "Jonas", "Ines", "Hugo",
    "Maya", "Elias", "Zoé", "Omar", "Hanna", "Liam", "Yasmin", "Felix", "Clara", "Arjun",
    "Nora", "Théo", "Aisha", "Emil", "Lucía", "Kenji", "Freya", "Karim", "Julia", "Ravi",
    "Marta", "Louis", "Selin", "Oscar", "Amara", "Finn", "Nadia", "Paul", "Elif",
]
LAST_NAMES = [
    "Martin", "Schneider", "Rossi", "García", "Dubois", "Novak", "Haddad", "Jensen", "Costa",
    "Moreau", "Fischer", "Silva", "Okafor", "Kowalski", "Lindqvist", "Bernard", "Yilmaz",
    "Tanaka", "Meyer", "Laurent", "Patel", "Rahman", "Nielsen", "Ferreira", "Weber", "Leroy",
    "Santos", "Andersson", "Petit", "Khan", "Ricci", "Hoffmann", "Durand", "Sato", "Mendes",
    "Berg", "Vogel", "Lambert", "Romero",
]
SKIN_TYPES = ["dry", "oily", "combination", "normal", "sensitive"]
CLIMATES = ["humid", "dry", "temperate", "cold"]


def _ascii(text: str) -> str:
    return text.lower().translate(str.maketrans("éíáóúç", "eiaouc"))


class Command(BaseCommand):
    # Commands are imported after Django is set up, so plain gettext translates here.
    help = _(
        "Fill the database with a demo skincare shop: an admin and a shopper login (password "
        "'%(password)s'), about 40 customers, 120 orders over 18 months, refunds, profile "
        "answers, consent and an API key. Running it again adds nothing."
    ) % {"password": DEMO_PASSWORD}

    def handle(self, *args, **options):
        rng = random.Random(SEED)
        # Dates hang off today's midnight, so two runs on the same day write the same values.
        today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
        before = self.counts()

        with transaction.atomic():
            admin = self.login(ADMIN_EMAIL, staff=True)
            people = self.people(rng)
            for person in people:  # everyone, including those who haven't ordered yet
                services.customer_upsert(
                    email=person.email, source="generic", external_id=person.external_id,
                    first_name=person.first_name, last_name=person.last_name,
                )
            for event in self.order_events(rng, people, today):
                services.order_apply(event=event)
            shopper = self.login(SHOPPER_EMAIL, staff=False)
            services.customer_link_user(user=shopper)
            self.profiles(rng, today)
            raw_key = self.api_key()

        # The upper apps add their demo data with their own `seed_demo_<app>` commands
        # (customers may not import them); each is idempotent. Surveys go last, so they find
        # every demo customer's orders on the first run and nothing new on the next.
        for name in ("seed_demo_loyalty", "seed_demo_quizzes", "seed_demo_referrals",
                     "seed_demo_segments", "seed_demo_nps", "seed_demo_storefront"):
            if name in get_commands():
                call_command(name, stdout=self.stdout)

        after = self.counts()
        if after != before:
            # What the later demo apps added (referred friends' orders, survey answers): held
            # points whose window passed are released and the segments see the surveys now,
            # so a second run finds nothing to do and changes no row.
            if "release_points" in get_commands():
                call_command("release_points", stdout=io.StringIO())
            call_command("recompute_segments", quiet_history=True, stdout=io.StringIO())
        self.stdout.write(self.style.SUCCESS(_("Demo shop ready.")))
        for label, count in after.items():
            added = count - before[label]
            self.stdout.write(f"  {label}: {count}" + (f" (+{added})" if added else ""))
        self.stdout.write("")
        self.stdout.write(_("Admin:    %(email)s / %(password)s")
                          % {"email": admin.email, "password": DEMO_PASSWORD})
        self.stdout.write(_("Shopper:  %(email)s / %(password)s")
                          % {"email": shopper.email, "password": DEMO_PASSWORD})
        if raw_key:
            self.stdout.write(_("API key “%(name)s” (copy it now, it won't be shown again): "
                                "%(key)s") % {"name": API_KEY_NAME, "key": raw_key})
        else:
            self.stdout.write(_("API key “%(name)s” already exists; create another with "
                                "`manage.py create_api_key NAME`.") % {"name": API_KEY_NAME})
        site = settings.SITE_URL
        self.stdout.write(_("Front page:   %(url)s/") % {"url": site})
        self.stdout.write(_("Shopper page: %(url)s/account/") % {"url": site})
        self.stdout.write(_("Staff admin:  %(url)s/admin/") % {"url": site})
        self.stdout.write(_("E-mails sent: %(url)s/admin/customers/outboxemail/")
                          % {"url": site})
        self.stdout.write(_("API docs:     %(url)s/api/docs/") % {"url": site})
        self.stdout.write(_("Demo shop:    %(url)s/demo-shop/ (the storefront widget embedded "
                            "in a sample shop page)") % {"url": site})

    def counts(self) -> dict[str, int]:
        models = [User, Customer, Order, OrderLine, Refund, Attribute, Activity, ApiKey]
        return {str(m._meta.verbose_name_plural): m.objects.count() for m in models}

    def login(self, email: str, *, staff: bool) -> User:
        user = User.objects.filter(email=email).first()
        if user is not None:
            return user
        if staff:
            return User.objects.create_superuser(email, DEMO_PASSWORD, first_name="Demo",
                                                 last_name="Admin")
        return User.objects.create_user(email, DEMO_PASSWORD, first_name="Sam",
                                        last_name="Shopper")

    def people(self, rng: random.Random) -> list[CustomerData]:
        people = [CustomerData(external_id="demo-c-000", email=SHOPPER_EMAIL, first_name="Sam",
                               last_name="Shopper")]
        for index in range(1, CUSTOMER_COUNT):
            first, last = FIRST_NAMES[index - 1], LAST_NAMES[index - 1]
            domain = rng.choice(["example.com", "example.org", "example.net"])
            people.append(CustomerData(
                external_id=f"demo-c-{index:03d}",
                email=f"{_ascii(first)}.{_ascii(last)}@{domain}",
                first_name=first, last_name=last,
            ))
        return people

    def order_events(self, rng, people, today):
        """Each order as the shop would send it: paid, and for some a later refund or a
        cancellation. Loyal customers (the shopper among them) order more often."""
        weights = [6] + [rng.choice([1, 1, 1, 2, 3, 5]) for _ in people[1:]]
        for number in range(1, ORDER_COUNT + 1):
            person = rng.choices(people, weights=weights)[0]
            placed_at = today - dt.timedelta(days=rng.randint(1, DAYS_OF_HISTORY),
                                             hours=rng.randint(0, 12), minutes=rng.randint(0, 59))
            lines = tuple(
                LineData(sku=sku, name=name, quantity=rng.choice([1, 1, 1, 2]),
                         unit_price=Decimal(price))
                for sku, name, price in rng.sample(PRODUCTS, k=rng.choice([1, 1, 2, 2, 3]))
            )
            gross = sum((li.unit_price * li.quantity for li in lines), Decimal("0"))
            codes = ("WELCOME10",) if rng.random() < 0.15 else ()
            discount = (gross * Decimal("0.10")).quantize(CENT) if codes else Decimal(0)
            paid = OrderEvent(
                source="generic", external_id=f"demo-{number:04d}", name=f"#{1000 + number}",
                status="paid", placed_at=placed_at,
                updated_at=placed_at + dt.timedelta(minutes=3), currency="EUR",
                total=gross - discount, discount_total=discount, customer=person, lines=lines,
                discount_codes=codes, refunded_total=Decimal("0"),
            )
            roll = rng.random()
            if roll < 0.04 and placed_at < today - dt.timedelta(days=2):
                yield dataclasses.replace(paid, status="cancelled",
                                          updated_at=placed_at + dt.timedelta(hours=2))
                continue
            yield paid
            if roll < 0.14 and placed_at < today - dt.timedelta(days=20):
                full = roll < 0.07
                refunded = paid.total if full else (paid.total * Decimal("0.4")).quantize(CENT)
                yield dataclasses.replace(
                    paid, refunded_total=refunded,
                    status="refunded" if full else "partially_refunded",
                    updated_at=placed_at + dt.timedelta(days=rng.randint(3, 14)),
                )

    def profiles(self, rng, today) -> None:
        """Quiz answers and consent for some customers; an answer already given is kept."""
        customers = list(
            Customer.objects.filter(external_ids__external_id__startswith="demo-c-",
                                    external_ids__source="generic")
            .distinct().order_by("email")
        )
        answered = set(Attribute.objects.filter(customer__in=customers)
                       .values_list("customer_id", flat=True))
        for customer in customers:
            at = today - dt.timedelta(days=rng.randint(1, 300))
            answers = {"skin_type": rng.choice(SKIN_TYPES), "climate": rng.choice(CLIMATES)}
            wants_quiz, consents = rng.random() < 0.6, rng.random() < 0.5
            if customer.email == SHOPPER_EMAIL:
                wants_quiz = consents = True
            if wants_quiz and customer.pk not in answered:
                for key, value in answers.items():
                    services.attribute_set(customer=customer, key=key, value=value,
                                           source_kind=Attribute.SourceKind.QUIZ,
                                           source_id="demo-quiz", captured_at=at)
            if consents:
                services.consent_set(customer=customer, accepts_marketing=True,
                                     source="checkout", at=at)

    def api_key(self) -> str:
        if ApiKey.objects.filter(name=API_KEY_NAME, revoked_at__isnull=True).exists():
            return ""
        _api_key, raw_key = services.api_key_create(name=API_KEY_NAME)
        return raw_key
