from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kernel.emails import email_normalise
from kernel.models import ID_MAX as ID_MAX  # re-exported: ids past it are not found
from kernel.models import SingletonSettings

MONEY = {"max_digits": 14, "decimal_places": 2}


class Source(models.TextChoices):
    SHOPIFY = "shopify", _("Shopify")
    WOOCOMMERCE = "woocommerce", _("WooCommerce")
    GENERIC = "generic", _("Generic API")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=email_normalise(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A login: staff in admin, or a shopper with an account. The email is the username."""

    username = None
    email = models.EmailField(_("email address"), unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]


class NpsCategory(models.TextChoices):
    PROMOTER = "promoter", _("Promoter (9-10)")
    PASSIVE = "passive", _("Passive (7-8)")
    DETRACTOR = "detractor", _("Detractor (0-6)")

    @classmethod
    def for_score(cls, score: int) -> "NpsCategory":
        if score >= 9:
            return cls.PROMOTER
        return cls.PASSIVE if score >= 7 else cls.DETRACTOR


class Customer(models.Model):
    """The one shared profile every part of Flywheel reads and feeds."""

    email = models.EmailField(
        _("email"), max_length=254, unique=True,
        help_text=_("Stored lower-case; one customer per address."),
    )
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    locale = models.CharField(_("locale"), max_length=16, blank=True)
    language = models.CharField(
        _("language"), max_length=16, blank=True, choices=settings.LANGUAGES,
        help_text=_("The language Flywheel writes to the customer in (pages once signed in, "
                    "e-mails). Set by their own choice on the shop's pages, the API, or the "
                    "platform's locale; empty: the shop's default."),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="customer", verbose_name=_("shopper account"),
    )

    accepts_marketing = models.BooleanField(_("accepts marketing"), default=False)
    marketing_consent_at = models.DateTimeField(_("consent changed at"), null=True, blank=True)
    marketing_consent_source = models.CharField(
        _("consent source"), max_length=64, blank=True,
        help_text=_("Where the latest consent answer came from, e.g. shopify, quiz, account."),
    )

    orders_count = models.PositiveIntegerField(_("orders"), default=0)
    total_spent = models.DecimalField(_("net spent"), default=Decimal("0"), **MONEY)
    first_order_at = models.DateTimeField(_("first order"), null=True, blank=True)
    last_order_at = models.DateTimeField(_("last order"), null=True, blank=True)

    # Facts the upper apps own, kept on the profile so segments can filter on them without
    # importing those apps. Written only through customer_tier_set and customer_nps_set.
    loyalty_tier = models.CharField(
        _("loyalty tier"), max_length=100, blank=True,
        help_text=_("The customer's current VIP tier, kept in step by the loyalty program."),
    )
    nps_score = models.PositiveSmallIntegerField(
        _("latest NPS score"), null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    nps_category = models.CharField(
        _("NPS category"), max_length=16, blank=True, choices=NpsCategory.choices
    )
    nps_answered_at = models.DateTimeField(_("NPS answered"), null=True, blank=True)

    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True, editable=False)

    # Not a column: the other addresses ingestion found this customer known by (profiles.py).
    _known_emails: set[str]

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(nps_score__isnull=True) | Q(nps_score__lte=10),
                name="customer_nps_score_0_10",
            ),
            models.CheckConstraint(
                condition=Q(email=Lower("email")), name="customer_email_lowercase"
            ),
            models.CheckConstraint(condition=Q(orders_count__gte=0), name="customer_orders_gte_0"),
        ]
        indexes = [models.Index(fields=["last_order_at"])]

    def __str__(self):
        return self.email

    @property
    def email_language(self) -> str:
        """What e-mails to the customer are written in: their language, else what their
        platform locale names (kernel.emails maps it onto an offered language)."""
        return self.language or self.locale

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class CustomerEmail(models.Model):
    """Another address the customer is known by: an order's or billing email that differs
    from their own, or an email they used before. Found by lookups; never their primary
    email (Customer.email), which only the customer's own details change."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="known_emails")
    email = models.EmailField(_("email"), max_length=254)
    source = models.CharField(_("source"), max_length=16, blank=True,
                              help_text=_("Where it was seen, e.g. shopify, woocommerce."))
    created_at = models.DateTimeField(_("first seen"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("known email")
        verbose_name_plural = _("known emails")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "email"],
                                    name="customeremail_customer_email_unique"),
            models.CheckConstraint(condition=Q(email=Lower("email")),
                                   name="customeremail_email_lowercase"),
        ]
        indexes = [models.Index(fields=["email"])]

    def __str__(self):
        return self.email


class ExternalId(models.Model):
    """The id a shop platform uses for this customer."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="external_ids")
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    external_id = models.CharField(_("external id"), max_length=64)

    class Meta:
        verbose_name = _("external id")
        verbose_name_plural = _("external ids")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="externalid_source_id_unique"
            ),
        ]

    def __str__(self):
        return f"{self.get_source_display()} {self.external_id}"


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PAID = "paid", _("Paid")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
        REFUNDED = "refunded", _("Refunded")
        CANCELLED = "cancelled", _("Cancelled")

    customer = models.ForeignKey(  # indexed first in Meta.indexes
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="orders",
        db_index=False,
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    external_id = models.CharField(_("external id"), max_length=64)
    name = models.CharField(_("order number"), max_length=64, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    currency = models.CharField(_("currency"), max_length=3)
    total = models.DecimalField(_("total"), validators=[MinValueValidator(0)], **MONEY)
    discount_total = models.DecimalField(_("discounts"), default=Decimal("0"), **MONEY)
    refunded_total = models.DecimalField(_("refunded"), default=Decimal("0"), **MONEY)
    discount_codes = models.JSONField(_("discount codes"), default=list, blank=True)
    referral_code = models.CharField(_("referral code"), max_length=32, blank=True)
    placed_at = models.DateTimeField(_("placed at"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    source_updated_at = models.DateTimeField(
        _("updated at source"),
        help_text=_("The newest update applied; older deliveries never overwrite newer state."),
    )
    # Which event the fields (and the lines) come from: the source's update time, then the
    # status, then the content (OrderEvent.version), so arrival order never decides.
    source_version = models.CharField(_("newest event"), max_length=64, blank=True,
                                      editable=False)
    lines_version = models.CharField(_("newest event with lines"), max_length=64, blank=True,
                                     editable=False)
    shop_total = models.DecimalField(
        _("total in shop currency"), null=True, blank=True, **MONEY,
        help_text=_("The total in SHOP_CURRENCY, as the platform converted it. Empty: the "
                    "order is in another currency and came without a converted amount, so it "
                    "is counted but earns no points and adds nothing to spend figures."),
    )
    shop_net = models.DecimalField(
        _("kept, in shop currency"), null=True, blank=True, **MONEY,
        help_text=_("What stayed with the shop after refunds, in SHOP_CURRENCY: the figure "
                    "net spend, tier spend, RFM monetary and CLV read. Empty when it can't "
                    "be converted."),
    )
    created_at = models.DateTimeField(_("received"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-placed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="order_source_id_unique"
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_gte_0"),
            models.CheckConstraint(
                condition=Q(refunded_total__gte=0) & Q(refunded_total__lte=models.F("total")),
                name="order_refunded_within_total",
            ),
        ]
        indexes = [models.Index(fields=["customer", "placed_at"])]

    def __str__(self):
        return self.name or f"{self.source}:{self.external_id}"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    sku = models.CharField(_("SKU"), max_length=64, blank=True)
    name = models.CharField(_("name"), max_length=255)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.DecimalField(_("unit price"), validators=[MinValueValidator(0)], **MONEY)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="orderline_price_gte_0"),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.name}"


class Refund(models.Model):
    """Money given back on an order. One row per refund, so each is reacted to exactly once."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="refunds")
    external_id = models.CharField(
        _("refund id"), max_length=64,
        help_text=_("The platform's refund id, or 'cumulative:<total>' for sources that only "
                    "send the refunded total."),
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    created_at = models.DateTimeField(_("refunded at"), default=timezone.now)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "external_id"], name="refund_order_id_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_gt_0"),
        ]

    def __str__(self):
        return f"{self.amount} {self.order.currency}"


class Attribute(models.Model):
    """A zero-party fact the customer told the shop, with where it came from.

    Rows are history: a new answer adds a row, and the profile shows the latest per key.
    """

    class SourceKind(models.TextChoices):
        QUIZ = "quiz", _("Quiz")
        SURVEY = "survey", _("Survey")
        STAFF = "staff", _("Staff")
        API = "api", _("API")
        ACCOUNT = "account", _("Account")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="attributes")
    key = models.SlugField(_("key"), max_length=64)
    value = models.CharField(_("value"), max_length=255)
    source_kind = models.CharField(_("source"), max_length=16, choices=SourceKind.choices)
    source_id = models.CharField(
        _("source id"), max_length=64, blank=True,
        help_text=_("Which quiz version, survey or staff member recorded it."),
    )
    captured_at = models.DateTimeField(_("captured at"), default=timezone.now)

    class Meta:
        verbose_name = _("zero-party attribute")
        verbose_name_plural = _("zero-party attributes")
        ordering = ["-captured_at", "-id"]
        indexes = [models.Index(fields=["customer", "key", "-captured_at"])]

    def __str__(self):
        return f"{self.key}={self.value}"


class Activity(models.Model):
    """A row on the customer's timeline: everything that happens to them, once."""

    class Kind(models.TextChoices):
        CUSTOMER_CREATED = "customer_created", _("Customer created")
        ORDER_PAID = "order_paid", _("Order paid")
        ORDER_REFUNDED = "order_refunded", _("Order refunded")
        ORDER_CANCELLED = "order_cancelled", _("Order cancelled")
        CONSENT_CHANGED = "consent_changed", _("Marketing consent changed")
        ACCOUNT_CREATED = "account_created", _("Account created")
        ATTRIBUTE_SET = "attribute_set", _("Profile answer recorded")
        BIRTHDAY = "birthday", _("Birthday")
        QUIZ_COMPLETED = "quiz_completed", _("Quiz completed")
        NPS_ANSWERED = "nps_answered", _("Survey answered")
        REFERRAL_CONVERTED = "referral_converted", _("Referred a friend")
        REFERRAL_STATUS_CHANGED = "referral_status_changed", _("Referral updated")
        POINTS_EARNED = "points_earned", _("Points earned")
        POINTS_REDEEMED = "points_redeemed", _("Reward redeemed")
        POINTS_EXPIRED = "points_expired", _("Points expired")
        TIER_CHANGED = "tier_changed", _("Tier changed")
        STAGE_CHANGED = "stage_changed", _("Lifecycle stage changed")
        WINBACK_SENT = "winback_sent", _("Win-back offer sent")
        POINTS_EXPIRING = "points_expiring", _("Points expiring")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="activities",
                                 db_index=False)  # indexed first in Meta.indexes
    kind = models.SlugField(
        _("kind"), max_length=48,
        help_text=_("What happened: a built-in kind or a custom one posted by the shop."),
    )
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    reference = models.CharField(_("reference"), max_length=128, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    key = models.CharField(
        _("idempotency key"), max_length=200, null=True, blank=True, unique=True,
        help_text=_("Derived from the cause, so a retry never records the same thing twice."),
    )

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["customer", "-occurred_at"])]

    def __str__(self):
        return f"{self.kind_label} · {self.occurred_at:%Y-%m-%d}"

    @property
    def kind_label(self) -> str:
        try:
            return self.Kind(self.kind).label
        except ValueError:
            return self.kind.replace("_", " ").capitalize()


class WebhookDelivery(models.Model):
    """A delivery exactly as it arrived, kept before anything is applied."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        WAITING = "waiting", _("Waiting for its order")
        PROCESSED = "processed", _("Processed")
        IGNORED = "ignored", _("Ignored")
        FAILED = "failed", _("Failed")

    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    topic = models.CharField(_("topic"), max_length=64)
    headers = models.JSONField(_("headers"), default=dict)
    body = models.TextField(
        _("body"), blank=True,
        help_text=_("The body as text: exactly as it arrived when it is UTF-8 without NUL "
                    "bytes; otherwise a readable rendering, and the exact bytes are in raw body."),
    )
    raw_body = models.BinaryField(
        _("raw body"), null=True, blank=True,
        help_text=_("The exact bytes, kept only when the text above can't hold them (not UTF-8, "
                    "or with NUL bytes)."),
    )
    body_sha256 = models.CharField(_("body hash"), max_length=64)
    event_id = models.CharField(
        _("event id"), max_length=128, blank=True,
        help_text=_("The platform's delivery id or the Idempotency-Key; repeats are dropped."),
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.RECEIVED
    )
    error = models.TextField(_("error"), blank=True)
    notes = models.TextField(
        _("skipped items"), blank=True,
        help_text=_("Optional parts of the delivery that could not be read and were left out "
                    "(a blank discount code, a line without a quantity); the rest was "
                    "applied."),
    )
    waiting_for = models.CharField(
        _("waiting for order"), max_length=64, blank=True,
        help_text=_("A refund that arrived before its order: applied as soon as the order "
                    "is received."),
    )
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    order = models.ForeignKey(
        Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries"
    )
    response_status = models.PositiveSmallIntegerField(_("answered with"), default=202)
    response_body = models.JSONField(_("answer"), default=dict, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "event_id"], condition=~Q(event_id=""),
                name="delivery_source_event_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "received_at"]),
            # The worker's queue, oldest first. Partial and walked in order, so the entries
            # of deliveries applied since are skipped once seen, long before a vacuum.
            models.Index(fields=["id"], condition=Q(status="received"),
                         name="delivery_received_idx"),
        ]

    def __str__(self):
        return f"{self.get_source_display()} {self.topic} #{self.pk}"

    @property
    def raw(self) -> bytes:
        """The body exactly as it arrived."""
        return self.body.encode() if self.raw_body is None else bytes(self.raw_body)


class ApiKey(models.Model):
    """A key a shop system uses on the API. Only a hash is kept; the key is shown once."""

    name = models.CharField(_("name"), max_length=100, help_text=_("Who uses it, e.g. 'Shopify'."))
    prefix = models.CharField(_("prefix"), max_length=12, unique=True, editable=False)
    hashed_key = models.CharField(_("hash"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


# Segments: lifecycle stage, RFM scores, CLV, custom segments and outbound webhooks.


class Stage(models.TextChoices):
    """Where a customer stands in their lifecycle (see customers/segments/rules.py)."""

    PROSPECT = "prospect", _("Prospect")
    FIRST_TIME = "first_time", _("First-time")
    REPEAT = "repeat", _("Repeat")
    LOYAL = "loyal", _("Loyal")
    AT_RISK = "at_risk", _("At risk")
    LAPSED = "lapsed", _("Lapsed")
    WON_BACK = "won_back", _("Won back")


class RfmSegment(models.TextChoices):
    CHAMPIONS = "champions", _("Champions")
    LOYAL = "loyal", _("Loyal")
    POTENTIAL_LOYALIST = "potential_loyalist", _("Potential loyalist")
    NEW = "new", _("New")
    PROMISING = "promising", _("Promising")
    NEED_ATTENTION = "need_attention", _("Need attention")
    ABOUT_TO_SLEEP = "about_to_sleep", _("About to sleep")
    AT_RISK = "at_risk", _("At risk")
    CANT_LOSE = "cant_lose", _("Can't lose")
    HIBERNATING = "hibernating", _("Hibernating")
    LOST = "lost", _("Lost")


class SegmentSettings(SingletonSettings):
    """How stages and CLV are worked out: one row (`SegmentSettings.get()`), edited in admin."""

    at_risk_days = models.PositiveSmallIntegerField(
        _("at risk after (days)"), default=120, validators=[MinValueValidator(1)],
        help_text=_("A customer with one order is at risk after this many days without "
                    "another. Customers with two or more orders are at risk after twice "
                    "their own median gap between orders (but never sooner than the "
                    "minimum below)."),
    )
    min_expected_gap_days = models.PositiveSmallIntegerField(
        _("minimum at-risk gap (days)"), default=30, validators=[MinValueValidator(1)],
        help_text=_("Someone who bought twice in one week is not at risk after two weeks."),
    )
    lapsed_days = models.PositiveSmallIntegerField(
        _("lapsed after (days)"), default=365, validators=[MinValueValidator(1)],
        help_text=_("No order for this long (or for longer than the at-risk gap, if that is "
                    "longer): the customer has lapsed."),
    )
    loyal_orders = models.PositiveSmallIntegerField(
        _("loyal from (orders)"), default=5, validators=[MinValueValidator(2)],
        help_text=_("A customer with this many orders is loyal, as is one in a VIP tier."),
    )
    vip_tiers = models.CharField(
        _("VIP tiers"), max_length=255, blank=True,
        help_text=_("Comma-separated names of the loyalty tiers that make a customer loyal, "
                    "e.g. 'Gold, Platinum'. Empty: tiers don't decide loyalty."),
    )
    clv_horizon_years = models.DecimalField(
        _("CLV horizon (years)"), max_digits=4, decimal_places=1, default=Decimal("3"),
        validators=[MinValueValidator(Decimal("0.1")), MaxValueValidator(Decimal("20"))],
        help_text=_("Predicted CLV is what a customer will spend over this many years. With "
                    "the value model: the orders it expects each month times the order value "
                    "it expects, discounted. Without it: average order value × orders per "
                    "year so far × this."),
    )
    clv_discount_rate = models.DecimalField(
        _("discount rate (% a year)"), max_digits=4, decimal_places=1, default=Decimal("10"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("Money spent later is worth less today: each month's expected spend is "
                    "discounted at this yearly rate (the value model only)."),
    )
    value_model_enabled = models.BooleanField(
        _("predict with the value model"), default=True,
        help_text=_("Fit a buy-till-you-die model (BG/NBD for orders, Gamma-Gamma for order "
                    "value) to the shop's own orders at every recompute, and use it for "
                    "probability alive, expected orders, predicted CLV and the at-risk and "
                    "lapsed stages. It is used only where the shop has enough history; "
                    "otherwise the rules above apply, and the overview says why."),
    )
    at_risk_below_p_alive = models.PositiveSmallIntegerField(
        _("at risk below P(alive) (%)"), default=50,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
        help_text=_("With the value model, a customer with repeat orders is at risk when the "
                    "probability that they are still a customer falls below this."),
    )
    lapsed_below_p_alive = models.PositiveSmallIntegerField(
        _("lapsed below P(alive) (%)"), default=20,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
        help_text=_("…and lapsed below this. Customers with a single order keep the day rules "
                    "above: the model can't tell whether they have left."),
    )
    backtest_weeks = models.PositiveSmallIntegerField(
        _("backtest weeks"), default=26, validators=[MinValueValidator(4), MaxValueValidator(104)],
        help_text=_("The overview's backtest fits the model on all but the last this-many "
                    "weeks of orders and compares what it predicted for those weeks with what "
                    "happened."),
    )

    class Meta(SingletonSettings.Meta):
        verbose_name = _("segment settings")
        verbose_name_plural = _("segment settings")

    def __str__(self):
        return str(_("Segment settings"))

    def clean(self):
        super().clean()
        if self.lapsed_below_p_alive > self.at_risk_below_p_alive:
            raise ValidationError({"lapsed_below_p_alive": _(
                "Lapsed must be below the at-risk level: a customer grows less likely to "
                "return, at risk first.")})

    @property
    def vip_tier_names(self) -> list[str]:
        return [name.strip() for name in self.vip_tiers.split(",") if name.strip()]


class CustomerScore(models.Model):
    """A customer's lifecycle stage, RFM scores and CLV, as of the last recompute.

    The nightly recompute rewrites every row set-based; an order refreshes its customer's stage
    (and CLV) at once. RFM scores are quintiles of everybody, so only the recompute sets them.
    """

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, primary_key=True, related_name="score",
        verbose_name=_("customer"),
    )
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices)
    stage_since = models.DateTimeField(_("in this stage since"))
    stage_orders = models.PositiveIntegerField(
        _("orders when the stage began"), default=0,
        help_text=_("A won-back customer stays won back until their next order."),
    )
    as_of = models.DateTimeField(_("as of"))
    orders = models.PositiveIntegerField(_("orders"), default=0)
    net_revenue = models.DecimalField(_("historical CLV (net revenue)"), default=Decimal("0"),
                                      **MONEY)
    first_order_at = models.DateTimeField(_("first order"), null=True, blank=True)
    last_order_at = models.DateTimeField(_("last order"), null=True, blank=True)
    recency_days = models.PositiveIntegerField(_("days since last order"), null=True,
                                               blank=True)
    median_gap_days = models.FloatField(_("median days between orders"), null=True, blank=True)
    expected_gap_days = models.FloatField(
        _("at risk after (days)"), null=True, blank=True,
        help_text=_("Twice the median gap (at least the minimum), or the default for one "
                    "order."),
    )
    r_score = models.PositiveSmallIntegerField(_("R"), null=True, blank=True)
    f_score = models.PositiveSmallIntegerField(_("F"), null=True, blank=True)
    m_score = models.PositiveSmallIntegerField(_("M"), null=True, blank=True)
    rfm_segment = models.CharField(_("RFM segment"), max_length=24, blank=True,
                                   choices=RfmSegment.choices)
    average_order_value = models.DecimalField(_("average order value"), default=Decimal("0"),
                                              **MONEY)
    orders_per_year = models.FloatField(_("orders per year"), default=0)
    clv_predicted = models.DecimalField(_("predicted CLV"), default=Decimal("0"), **MONEY)
    # The value model's, empty when the rules predicted (see ValueModelFit).
    p_alive = models.FloatField(
        _("probability alive"), null=True, blank=True,
        help_text=_("How likely the customer still buys here (BG/NBD). Empty for a single "
                    "order, which the model can't judge, and without the model."),
    )
    expected_orders_90d = models.FloatField(_("expected orders, next 90 days"), null=True,
                                            blank=True)
    expected_orders_365d = models.FloatField(_("expected orders, next 365 days"), null=True,
                                             blank=True)
    expected_order_value = models.DecimalField(
        _("expected order value"), null=True, blank=True, **MONEY,
        help_text=_("Gamma-Gamma: the shop's average order value, moved toward the customer's "
                    "own with each repeat order."),
    )

    class Meta:
        verbose_name = _("customer score")
        verbose_name_plural = _("customer scores")
        constraints = [
            models.CheckConstraint(
                condition=Q(r_score__isnull=True) | Q(r_score__gte=1, r_score__lte=5),
                name="customerscore_r_1_5",
            ),
            models.CheckConstraint(
                condition=Q(f_score__isnull=True) | Q(f_score__gte=1, f_score__lte=5),
                name="customerscore_f_1_5",
            ),
            models.CheckConstraint(
                condition=Q(m_score__isnull=True) | Q(m_score__gte=1, m_score__lte=5),
                name="customerscore_m_1_5",
            ),
        ]

    def __str__(self):
        return f"{self.customer_id}: {self.get_stage_display()}"


class ValueModelFit(models.Model):
    """The value model fitted to the shop's orders at one recompute: its parameters, or why
    there was none, and the backtest staff read to know how far to trust it."""

    class Status(models.TextChoices):
        FITTED = "fitted", _("Fitted")
        TOO_LITTLE_HISTORY = "too_little_history", _("Too little history")
        FAILED = "failed", _("Could not be fitted")
        OFF = "off", _("Turned off")

    as_of = models.DateTimeField(_("as of"), db_index=True)
    status = models.CharField(_("status"), max_length=24, choices=Status.choices)
    detail = models.JSONField(
        _("detail"), default=dict, blank=True,
        help_text=_("Why the rules predict instead of the model: what the shop has and what "
                    "the model needs, or why the fit failed."),
    )
    buyers = models.PositiveIntegerField(_("customers with orders"), default=0)
    repeat_buyers = models.PositiveIntegerField(_("customers with repeat orders"), default=0)
    sample = models.PositiveIntegerField(
        _("customers fitted"), default=0,
        help_text=_("The fit uses a random sample of at most 50,000 customers; everyone is "
                    "scored."),
    )
    r = models.FloatField(null=True, blank=True)
    alpha = models.FloatField(null=True, blank=True)
    a = models.FloatField(null=True, blank=True)
    b = models.FloatField(null=True, blank=True)
    p = models.FloatField(null=True, blank=True)
    q = models.FloatField(null=True, blank=True)
    gamma = models.FloatField(null=True, blank=True)
    seconds = models.FloatField(_("fit and scoring (s)"), default=0)
    backtest = models.JSONField(_("backtest"), default=dict, blank=True)

    class Meta:
        verbose_name = _("value model fit")
        verbose_name_plural = _("value model fits")
        ordering = ["-as_of", "-id"]

    def __str__(self):
        return f"{self.as_of:%Y-%m-%d %H:%M}: {self.get_status_display()}"

    @property
    def is_fitted(self) -> bool:
        return self.status == self.Status.FITTED


class Segment(models.Model):
    """A saved audience: the customers matching all (or any) of its rules, counted live."""

    class Match(models.TextChoices):
        ALL = "all", _("All rules")
        ANY = "any", _("Any rule")

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    match = models.CharField(_("customers must match"), max_length=3, choices=Match.choices,
                             default=Match.ALL)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name"]

    def __str__(self):
        return self.name


class SegmentRule(models.Model):
    """One condition over the profile, e.g. stage is at risk, skin_type is oily."""

    class Field(models.TextChoices):
        STAGE = "stage", _("Lifecycle stage")
        RFM_SEGMENT = "rfm_segment", _("RFM segment")
        TIER = "tier", _("Loyalty tier")
        NPS_CATEGORY = "nps_category", _("NPS category")
        ATTRIBUTE = "attribute", _("Profile answer (zero-party)")
        TOTAL_SPENT = "total_spent", _("Net spent")
        ORDERS = "orders", _("Number of orders")
        LAST_ORDER = "last_order", _("Last order date")
        ACCEPTS_MARKETING = "accepts_marketing", _("Accepts marketing (yes/no)")

    class Operator(models.TextChoices):
        IS = "is", _("is")
        IS_NOT = "is_not", _("is not")
        MORE = "gt", _("more than / after")
        LESS = "lt", _("less than / before")

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="rules")
    field = models.CharField(_("field"), max_length=24, choices=Field.choices)
    attribute_key = models.SlugField(
        _("answer key"), max_length=64, blank=True,
        help_text=_("For profile answers: the key, e.g. skin_type."),
    )
    operator = models.CharField(_("operator"), max_length=8, choices=Operator.choices,
                                default=Operator.IS)
    value = models.CharField(
        _("value"), max_length=255,
        help_text=_("A stage or segment code (at_risk, champions), a tier name, an NPS "
                    "category (promoter, passive, detractor), an answer (oily), an amount "
                    "(100.00), a count, a date (2026-01-31) or yes/no."),
    )

    class Meta:
        verbose_name = _("rule")
        verbose_name_plural = _("rules")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=~Q(field="attribute") | ~Q(attribute_key=""),
                                   name="segmentrule_attribute_has_key"),
        ]

    def __str__(self):
        label = (self.attribute_key if self.field == self.Field.ATTRIBUTE
                 else self.get_field_display())
        return f"{label} {self.get_operator_display()} {self.value}"


class SegmentMembership(models.Model):
    """Who was in a segment at the last recompute, so entering it is an event once."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="memberships")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE,
                                 related_name="segment_memberships")
    entered_at = models.DateTimeField(_("entered"))

    class Meta:
        verbose_name = _("segment member")
        verbose_name_plural = _("segment members")
        constraints = [
            models.UniqueConstraint(fields=["segment", "customer"],
                                    name="segmentmembership_unique"),
        ]

    def __str__(self):
        return f"{self.customer_id} in {self.segment_id}"


class OutboundEvent(models.TextChoices):
    STAGE_CHANGED = "customer.stage_changed", _("Customer changed lifecycle stage")
    SEGMENT_ENTERED = "customer.segment_entered", _("Customer entered a segment")
    TIER_CHANGED = "loyalty.tier_changed", _("Loyalty tier changed")
    POINTS_EXPIRING = "loyalty.points_expiring", _("Points about to expire")
    NPS_DETRACTOR = "nps.detractor", _("NPS detractor answered")
    QUIZ_COMPLETED = "quiz.completed", _("Quiz completed")
    REFERRAL_REWARDED = "referral.rewarded", _("Referral rewarded")


class WebhookSubscription(models.Model):
    """An outside system (email tool, CRM) that wants to hear about chosen events."""

    name = models.CharField(_("name"), max_length=100,
                            help_text=_("Who receives it, e.g. Klaviyo."))
    url = models.URLField(_("URL"), max_length=500, help_text=_("HTTPS endpoint that receives "
                                                                 "a JSON POST per event."))
    secret = models.CharField(
        _("signing secret"), max_length=128,
        help_text=_("Shared with the receiver, which checks the Flywheel-Signature header."),
    )
    events = models.JSONField(_("events"), default=list,
                              help_text=_("The events this endpoint receives."))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["name"]

    def __str__(self):
        return self.name


class OutboundDelivery(models.Model):
    """One event for one subscription: sent after commit, retried with backoff, logged."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE,
                                     related_name="deliveries")
    event = models.CharField(_("event"), max_length=40, choices=OutboundEvent.choices)
    key = models.CharField(
        _("idempotency key"), max_length=200,
        help_text=_("Derived from the cause (activity or segment entry): one delivery each."),
    )
    customer = models.ForeignKey(Customer, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+")
    payload = models.JSONField(_("payload"), default=dict)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    response_status = models.PositiveSmallIntegerField(_("last answer"), null=True, blank=True)
    error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbound webhook delivery")
        verbose_name_plural = _("outbound webhook deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "key"],
                                    name="outbounddelivery_subscription_key_unique"),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self):
        return f"{self.event} → {self.subscription}"


class OutboundAttempt(models.Model):
    """One HTTP attempt of a delivery, as it went."""

    delivery = models.ForeignKey(OutboundDelivery, on_delete=models.CASCADE,
                                 related_name="attempt_log")
    attempted_at = models.DateTimeField(_("attempted at"), default=timezone.now)
    response_status = models.PositiveSmallIntegerField(_("answer"), null=True, blank=True)
    response_body = models.TextField(_("response"), blank=True)
    error = models.TextField(_("error"), blank=True)
    duration_ms = models.PositiveIntegerField(_("took (ms)"), default=0)

    class Meta:
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        ordering = ["attempted_at", "id"]

    def __str__(self):
        return f"{self.attempted_at:%Y-%m-%d %H:%M:%S} {self.response_status or self.error}"


class ContactSettings(SingletonSettings):
    """The one contact budget: how many marketing e-mails of any kind (win-back, expiry
    reminders, NPS invitations, tier and points news) one customer may get in a period.
    Transactional e-mails (a voucher just redeemed, a password reset) never count."""

    marketing_cap = models.PositiveSmallIntegerField(
        _("marketing e-mails per customer"), default=4,
        help_text=_("At most this many marketing e-mails per customer in the period below; "
                    "0 sends none."),
    )
    marketing_cap_days = models.PositiveSmallIntegerField(
        _("period (days)"), default=30, validators=[MinValueValidator(1)],
    )

    class Meta(SingletonSettings.Meta):
        verbose_name = _("contact budget")
        verbose_name_plural = _("contact budget")

    def __str__(self):
        return str(_("Contact budget"))


class MarketingContact(models.Model):
    """One marketing e-mail sent to a customer, counted against the contact budget."""

    class Kind(models.TextChoices):
        WINBACK = "winback", _("Win-back offer")
        EXPIRY = "expiry", _("Points expiring")
        NPS = "nps", _("NPS survey")
        TIER = "tier", _("Tier news")
        POINTS = "points", _("Points news")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE,  # first in Meta.indexes
                                 related_name="marketing_contacts", verbose_name=_("customer"),
                                 db_index=False)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    key = models.CharField(
        _("idempotency key"), max_length=200, unique=True,
        help_text=_("Derived from the cause, so a retried e-mail counts once."),
    )
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("marketing e-mail")
        verbose_name_plural = _("marketing e-mails")
        ordering = ["-sent_at", "-id"]
        indexes = [models.Index(fields=["customer", "-sent_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.sent_at:%Y-%m-%d}"


class OutboxEmail(models.Model):
    """An e-mail as it would have left, kept for staff to read in admin instead of being sent
    (the demo's and a trial's e-mail backend, EMAIL_BACKEND=customers.outbox.OutboxBackend)."""

    to = models.CharField(_("to"), max_length=1000)
    subject = models.CharField(_("subject"), max_length=998)
    body = models.TextField(_("text"), blank=True)
    html = models.TextField(_("HTML"), blank=True)
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    created_at = models.DateTimeField(_("written at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("outbox e-mail")
        verbose_name_plural = _("outbox")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.subject


class Branding(SingletonSettings):
    """The shop's look on Flywheel's pages, e-mails and share cards: its name, logo and
    colours, set in admin."""

    shop_name = models.CharField(
        _("shop name"), max_length=100, blank=True,
        help_text=_("Shown on every page, e-mail and share card; empty uses SITE_NAME."),
    )
    logo = models.ImageField(
        _("logo"), upload_to="branding/", blank=True,
        help_text=_("The shop's logo (PNG, JPEG or WebP, about 320×96 px), shown on pages "
                    "and e-mails."),
    )
    primary_colour = models.CharField(
        _("main colour"), max_length=7, default="#5a32c8",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("A colour like #5a32c8."))],
        help_text=_("Buttons, links and the share card's band, e.g. #5a32c8."),
    )
    text_colour = models.CharField(
        _("text on the main colour"), max_length=7, default="#ffffff",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("A colour like #ffffff."))],
    )

    class Meta(SingletonSettings.Meta):
        verbose_name = _("branding")
        verbose_name_plural = _("branding")

    def __str__(self):
        return str(_("Branding"))

    @property
    def name(self) -> str:
        return self.shop_name or settings.SITE_NAME
