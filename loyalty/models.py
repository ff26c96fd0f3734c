"""The points ledger: accounts, append-only entries, lots and the rules that earn points.

Accounting (what `manage.py loyalty_audit` re-derives):

- Every change of points is a `PointsEntry`. An entry is posted either to the customer's
  available points (`held=False`) or to their held points (`held=True`: an order's earn during
  its hold, and a refund cancelling held points). A `release` entry moves a lot's remaining held
  points to available: it counts +amount in available and -amount in held.
- `LoyaltyAccount.balance` == sum of `amount` over the account's entries with `held=False`.
- `LoyaltyAccount.pending` == sum of `amount` over entries with `held=True`, minus the sum over
  `release` entries, == sum of `remaining` over its held lots (held_until set, not released).
- The balance is negative only after a refund reversed points that were already spent; a
  negative balance cannot be spent.
"""

import datetime as dt
import re
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from kernel.models import SingletonSettings


class LoyaltyProgram(SingletonSettings):
    """The program's settings: one row (`LoyaltyProgram.get()`), edited in admin."""

    class Expiry(models.TextChoices):
        NEVER = "never", _("Points never expire")
        AFTER_EARNING = "after_earning", _("Each lot expires N months after it was earned")
        INACTIVITY = "inactivity", _("All lots expire after N months without activity")

    class TierMetric(models.TextChoices):
        POINTS = "points", _("Points earned")
        SPENT = "spent", _("Amount spent")
        ORDERS = "orders", _("Number of orders")

    class TierPeriod(models.TextChoices):
        LIFETIME = "lifetime", _("Lifetime")
        CALENDAR_YEAR = "calendar_year", _("Calendar year")
        ROLLING_12_MONTHS = "rolling_12_months", _("Rolling 12 months")

    expiry = models.CharField(
        _("expiry"), max_length=16, choices=Expiry.choices, default=Expiry.NEVER,
        help_text=_("Expired points leave oldest first; each expiry posts an entry."),
    )
    expiry_months = models.PositiveSmallIntegerField(
        _("expire after (months)"), default=12, validators=[MinValueValidator(1)]
    )
    expiry_reminder_days = models.PositiveSmallIntegerField(
        _("remind (days before)"), default=14,
        help_text=_("Customers are emailed this many days before their points expire."),
    )
    tier_metric = models.CharField(
        _("tiers qualify on"), max_length=16, choices=TierMetric.choices,
        default=TierMetric.POINTS,
    )
    tier_period = models.CharField(
        _("over"), max_length=20, choices=TierPeriod.choices, default=TierPeriod.LIFETIME
    )
    tier_retention_days = models.PositiveSmallIntegerField(
        _("keep a tier at least (days)"), default=365,
        help_text=_("A customer moves up as soon as they qualify, and down only at "
                    "re-evaluation, once they have held their tier this long."),
    )
    point_value = models.DecimalField(
        _("value of one point"), max_digits=10, decimal_places=4, default=Decimal("0.01"),
        validators=[MinValueValidator(0)],
        help_text=_("In the shop currency; used to value the outstanding points liability."),
    )
    # Win-back (loyalty/services/winback.py): a customer who becomes at risk gets this voucher.
    winback_reward = models.ForeignKey(
        "Reward", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("win-back reward"),
        help_text=_("Given as a gift (no points) and emailed when a customer becomes at risk, "
                    "if they accept marketing. Empty: no win-back offers."),
    )
    winback_every_days = models.PositiveSmallIntegerField(
        _("win-back at most every (days)"), default=90, validators=[MinValueValidator(1)],
        help_text=_("A customer gets at most one win-back offer in this many days."),
    )

    class Meta(SingletonSettings.Meta):
        verbose_name = _("loyalty program")
        verbose_name_plural = _("loyalty program")

    def __str__(self):
        return str(_("Loyalty program settings"))


class Tier(models.Model):
    """A VIP tier. Customers qualify by the program's metric over its period; `threshold` is
    in that metric's unit (points, currency units or orders)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.PositiveSmallIntegerField(
        _("position"), unique=True, help_text=_("1 is the entry tier; higher is better."),
    )
    threshold = models.DecimalField(
        _("threshold"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)],
        help_text=_("What a customer needs to reach this tier, in the unit the program "
                    "qualifies on (points, amount spent or orders)."),
    )
    colour = models.CharField(_("colour"), max_length=7, default="#6b7280",
                              help_text=_("Hex colour of the badge, e.g. #c9a227."))
    badge = models.ImageField(_("badge image"), upload_to="tiers/", blank=True)
    perks = models.TextField(_("perks"), blank=True,
                             help_text=_("What members of this tier get, shown to customers."))
    earn_multiplier = models.DecimalField(
        _("earn multiplier"), max_digits=4, decimal_places=2, default=Decimal("1"),
        validators=[MinValueValidator(Decimal("1"))],
        help_text=_("Applied on top of every earning rule: 1.5 earns 50% more points."),
    )
    entry_points = models.PositiveIntegerField(
        _("entry bonus points"), default=0,
        help_text=_("Points given once, the first time a customer reaches this tier."),
    )
    entry_reward = models.ForeignKey(
        "Reward", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("entry reward"),
        help_text=_("A reward issued once, the first time a customer reaches this tier."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        ordering = ["position"]
        constraints = [
            models.CheckConstraint(condition=Q(threshold__gte=0), name="tier_threshold_gte_0"),
            models.CheckConstraint(condition=Q(earn_multiplier__gte=1),
                                   name="tier_earn_multiplier_gte_1"),
        ]

    def __str__(self):
        return self.name

    @property
    def default_name(self) -> str:
        """The name in the default language, whatever language is active: what tier changes
        and the customer's profile (segments match on it) record. `name` is the active
        language's (modeltranslation)."""
        with translation.override(settings.MODELTRANSLATION_DEFAULT_LANGUAGE):
            return self.name

    def clean(self):
        """Higher tiers need more: a threshold sits strictly between its neighbours'."""
        others = Tier.objects.exclude(pk=self.pk)
        if self.position is None or self.threshold is None:
            return
        below = others.filter(position__lt=self.position, threshold__gte=self.threshold)
        above = others.filter(position__gt=self.position, threshold__lte=self.threshold)
        clash = below.order_by("-position").first() or above.order_by("position").first()
        if clash is not None:
            raise ValidationError({"threshold": _(
                "A higher tier needs a higher threshold: %(tier)s (position %(position)s) "
                "has %(threshold)s.") % {"tier": clash.name, "position": clash.position,
                                          "threshold": clash.threshold}})


class LoyaltyAccount(models.Model):
    """A customer's points, created the first time they need one.

    `balance` (available, spendable) and `pending` (held) are caches of the ledger, kept in the
    same transaction as every entry, so reads never sum the entries.
    """

    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.PROTECT, related_name="loyalty_account",
        verbose_name=_("customer"),
    )
    balance = models.IntegerField(
        _("available points"), default=0,
        help_text=_("Spendable now. Negative only when a refund reversed points already spent."),
    )
    pending = models.IntegerField(
        _("pending points"), default=0,
        help_text=_("Earned on orders still within their return window; not spendable yet."),
    )
    tier = models.ForeignKey(
        Tier, on_delete=models.SET_NULL, null=True, blank=True, related_name="accounts",
        verbose_name=_("tier"),
    )
    tier_since = models.DateTimeField(_("in this tier since"), null=True, blank=True)
    tier_kept_until = models.DateTimeField(
        _("tier kept until"), null=True, blank=True,
        help_text=_("Re-evaluation can't move the customer down before this time: the "
                    "retention period after they last moved up, or a manual tier's end."),
    )
    manual_tier = models.ForeignKey(
        Tier, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("manual tier"),
        help_text=_("Set by staff: the customer is never below this tier until its end date."),
    )
    manual_tier_until = models.DateTimeField(_("manual tier until"), null=True, blank=True)
    tier_held_until = models.DateTimeField(
        _("tier held until"), null=True, blank=True,
        help_text=_("The tier was reached with orders still inside their return window. Until "
                    "then its entry points and gift are held, and a refund that takes the "
                    "customer below the tier withdraws them and moves the customer back down."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    # Not a column: the entries posted to an account opened in this transaction, kept by
    # loyalty.services.accounts (None or absent: read them when needed).
    _opened_entries: "list[PointsEntry] | None"

    class Meta:
        verbose_name = _("loyalty account")
        verbose_name_plural = _("loyalty accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(pending__gte=0), name="loyaltyaccount_pending_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(manual_tier__isnull=True) | Q(manual_tier_until__isnull=False),
                name="loyaltyaccount_manual_tier_has_end",
            ),
        ]

    def __str__(self):
        return str(self.customer)


class TierChange(models.Model):
    """A customer's move from one tier to another, with why and, for staff changes, who."""

    class Reason(models.TextChoices):
        QUALIFIED = "qualified", _("Reached the threshold")
        RE_EVALUATION = "re_evaluation", _("Re-evaluation")
        MANUAL = "manual", _("Set by staff")
        TIERS_EDITED = "tiers_edited", _("Tiers edited")
        TIER_REMOVED = "tier_removed", _("Tier removed")
        REFUNDED = "refunded", _("The order that reached it was refunded")

    account = models.ForeignKey(  # indexed first in Meta.indexes
        LoyaltyAccount, on_delete=models.PROTECT, related_name="tier_changes",
        verbose_name=_("account"), db_index=False,
    )
    from_tier = models.ForeignKey(Tier, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name=_("from"))
    to_tier = models.ForeignKey(Tier, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("to"))
    # The names then, kept when a tier is renamed or removed.
    from_name = models.CharField(_("from (name)"), max_length=100, blank=True)
    to_name = models.CharField(_("to (name)"), max_length=100, blank=True)
    is_up = models.BooleanField(_("moved up"))
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    note = models.TextField(_("note"), blank=True)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="tier_changes", verbose_name=_("staff member"),
    )
    qualifying_value = models.DecimalField(
        _("qualifying value"), max_digits=14, decimal_places=2, null=True, blank=True,
        help_text=_("What the customer had in the program's metric at the change."),
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now, editable=False)
    emailed_at = models.DateTimeField(_("tier-up email sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(reason="manual") | Q(staff__isnull=False),
                name="tierchange_manual_has_staff",
            ),
        ]

    def __str__(self):
        return f"{self.from_name or '—'} → {self.to_name or '—'}"


class EarningRule(models.Model):
    """How many points something earns. Editing a rule bumps its version; every entry records
    the rule and version that produced it, so a change only affects what happens afterwards.

    Several rules may match one order or activity (a base rule and a double-points weekend,
    a Gold-only rule...): the one that earns the most wins, and its points are posted once."""

    class Kind(models.TextChoices):
        ORDER = "order", _("Order paid")
        ACTIVITY = "activity", _("Activity")

    class CapPeriod(models.TextChoices):
        EVER = "ever", _("ever")
        DAY = "day", _("per day")
        WEEK = "week", _("per week")
        MONTH = "month", _("per month")
        YEAR = "year", _("per year")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices, default=Kind.ORDER)
    activity_kind = models.SlugField(
        _("activity"), max_length=48, blank=True,
        help_text=_("For activity rules: the timeline activity that earns the points, e.g. "
                    "account_created, birthday, quiz_completed, nps_answered, "
                    "referral_converted, or a custom kind the shop posts (review_written)."),
    )
    points = models.PositiveIntegerField(
        _("points"), default=0, help_text=_("For activity rules: the fixed points awarded."),
    )
    points_per_unit = models.DecimalField(
        _("points per currency unit"), max_digits=8, decimal_places=2, default=1,
        help_text=_("Points for each whole unit of the order total after discounts "
                    "(1 = one point per euro). The result is rounded down."),
    )
    multiplier = models.DecimalField(
        _("multiplier"), max_digits=5, decimal_places=2, default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Multiplies what the rule earns: 2 for a double-points weekend (set the "
                    "window below). The customer's tier multiplier applies on top; the result "
                    "is rounded down to whole points."),
    )
    starts_at = models.DateTimeField(
        _("active from"), null=True, blank=True,
        help_text=_("Empty: from now on. Orders paid (or activities that happened) before "
                    "this time do not earn under the rule."),
    )
    ends_at = models.DateTimeField(
        _("active until"), null=True, blank=True,
        help_text=_("Empty: no end. Orders paid (or activities) from this time on do not earn "
                    "under the rule."),
    )
    min_order_total = models.DecimalField(
        _("minimum order total"), max_digits=12, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("For order rules: orders whose total after discounts is below this earn "
                    "nothing under the rule."),
    )
    cap_count = models.PositiveIntegerField(
        _("at most (times)"), null=True, blank=True, validators=[MinValueValidator(1)],
        help_text=_("Empty: no cap. Otherwise a customer earns under this rule at most this "
                    "many times per period (1 per ever = once in a lifetime)."),
    )
    cap_period = models.CharField(
        _("cap period"), max_length=8, choices=CapPeriod.choices, default=CapPeriod.EVER,
        help_text=_("Calendar day, week (from Monday), month or year in the shop's time zone, "
                    "counted by when the points were awarded."),
    )
    tiers = models.ManyToManyField(
        Tier, blank=True, related_name="earning_rules", verbose_name=_("tiers"),
        help_text=_("Only members of these tiers earn under the rule. None selected: "
                    "everyone, including customers without a tier."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    audience = models.ForeignKey(
        "customers.Segment", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("audience"),
        help_text=_("Only customers in this segment earn with this rule. Empty: everyone."),
    )
    version = models.PositiveIntegerField(
        _("version"), default=1, editable=False,
        help_text=_("Goes up by one with every change."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("earning rule")
        verbose_name_plural = _("earning rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(points_per_unit__gte=0), name="earningrule_points_per_unit_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(kind="order") | ~Q(activity_kind=""),
                name="earningrule_activity_rule_names_activity",
            ),
            models.CheckConstraint(
                condition=Q(multiplier__gt=0), name="earningrule_multiplier_gt_0"
            ),
            models.CheckConstraint(
                condition=Q(cap_count__isnull=True) | Q(cap_count__gte=1),
                name="earningrule_cap_count_gte_1",
            ),
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True) | Q(ends_at__isnull=True)
                | Q(ends_at__gt=models.F("starts_at")),
                name="earningrule_window_ends_after_start",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.kind == self.Kind.ACTIVITY and not self.activity_kind:
            errors["activity_kind"] = _("Name the activity that earns the points.")
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = _("Must be after the start of the window.")
        if errors:
            raise ValidationError(errors)


class PointsEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Points entries are append-only: post a new entry instead.")

    def delete(self):
        raise TypeError("Points entries are append-only: post a new entry instead.")


class PointsEntry(models.Model):
    """One change of a customer's points. Never updated or deleted; a correction is a new
    entry. On PostgreSQL a trigger refuses UPDATE and DELETE as well."""

    class Kind(models.TextChoices):
        EARN = "earn", _("Earned")
        BONUS = "bonus", _("Bonus")
        RELEASE = "release", _("Released from pending")
        REDEEM = "redeem", _("Redeemed")
        EXPIRE = "expire", _("Expired")
        REVERSE = "reverse", _("Reversed")
        ADJUST = "adjust", _("Adjusted by staff")

    # Indexed by (account, -created_at) below; the optional links only where they are set,
    # so an entry without them (most are) writes no index rows for them.
    account = models.ForeignKey(
        LoyaltyAccount, on_delete=models.PROTECT, related_name="entries",
        verbose_name=_("account"), db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    amount = models.IntegerField(_("points"))
    held = models.BooleanField(
        _("held"), default=False,
        help_text=_("Posted to pending points rather than available points."),
    )
    order = models.ForeignKey(
        "customers.Order", on_delete=models.PROTECT, null=True, blank=True,
        related_name="points_entries", db_index=False, verbose_name=_("order"),
    )
    refund = models.ForeignKey(
        "customers.Refund", on_delete=models.PROTECT, null=True, blank=True,
        related_name="points_entries", db_index=False, verbose_name=_("refund"),
    )
    activity = models.ForeignKey(
        "customers.Activity", on_delete=models.PROTECT, null=True, blank=True,
        related_name="points_entries", db_index=False, verbose_name=_("activity"),
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="points_adjustments", db_index=False, verbose_name=_("staff member"),
    )
    redemption = models.ForeignKey(
        "Redemption", on_delete=models.PROTECT, null=True, blank=True,
        related_name="points_entries", db_index=False, verbose_name=_("redemption"),
    )
    reason = models.TextField(_("reason"), blank=True)
    rule = models.ForeignKey(
        EarningRule, on_delete=models.PROTECT, null=True, blank=True,
        related_name="entries", db_index=False, verbose_name=_("earning rule"),
    )
    rule_version = models.PositiveIntegerField(_("rule version"), null=True, blank=True)
    key = models.CharField(
        _("idempotency key"), max_length=200, unique=True,
        help_text=_("Derived from the cause, e.g. order:shopify:123:earn; a retry posts nothing."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    objects = PointsEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["account", "-created_at"]),
            *(models.Index(fields=[name], condition=Q(**{f"{name}__isnull": False}),
                           name=f"pointsentry_{name}_idx")
              for name in ("order", "refund", "activity", "staff", "redemption", "rule")),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="pointsentry_amount_not_0"),
            models.CheckConstraint(
                condition=(
                    Q(kind__in=["earn", "bonus", "release"], amount__gt=0)
                    | Q(kind__in=["redeem", "expire", "reverse"], amount__lt=0)
                    | Q(kind="adjust")
                ),
                name="pointsentry_sign_matches_kind",
            ),
            models.CheckConstraint(
                condition=~Q(held=True) | Q(kind__in=["earn", "bonus", "reverse"]),
                name="pointsentry_only_earn_bonus_reverse_held",
            ),
            models.CheckConstraint(
                condition=~Q(kind="adjust") | (Q(staff__isnull=False) & ~Q(reason="")),
                name="pointsentry_adjust_has_staff_reason",
            ),
        ]

    def __str__(self):
        return f"{self.amount:+d} {self.get_kind_display()}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Points entries are append-only: post a new entry instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Points entries are append-only: post a new entry instead.")


class PointsLot(models.Model):
    """Points earned together (an order's earn or a bonus), tracked for holds and, later,
    first-in-first-out expiry.

    `remaining` is what is left of the lot after refunds reversed part of it. A lot with
    `held_until` is pending until `released_at` is set; its remaining points are then
    available and posted with a `release` entry.
    """

    account = models.ForeignKey(
        LoyaltyAccount, on_delete=models.PROTECT, related_name="lots", verbose_name=_("account")
    )
    entry = models.OneToOneField(
        PointsEntry, on_delete=models.PROTECT, related_name="lot",
        verbose_name=_("earning entry"),
    )
    points = models.PositiveIntegerField(_("points"))
    remaining = models.PositiveIntegerField(_("remaining"))
    held_until = models.DateTimeField(_("held until"), null=True, blank=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("points lot")
        verbose_name_plural = _("points lots")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(remaining__gte=0) & Q(remaining__lte=models.F("points")),
                name="pointslot_remaining_within_points",
            ),
            models.CheckConstraint(
                condition=Q(released_at__isnull=True) | Q(held_until__isnull=False),
                name="pointslot_released_only_if_held",
            ),
        ]
        indexes = [
            # Only held lots waiting for release: a lot that was never held (most are) and
            # every update of one (spending, expiry) writes no row here.
            models.Index(
                fields=["held_until"],
                condition=Q(held_until__isnull=False, released_at__isnull=True),
                name="pointslot_due_idx",
            ),
            models.Index(
                fields=["expires_at"], condition=Q(remaining__gt=0),
                name="pointslot_expiry_idx",
            ),
            models.Index(
                fields=["account", "created_at"], condition=Q(remaining__gt=0),
                name="pointslot_open_idx",
            ),
        ]

    def __str__(self):
        return f"{self.remaining}/{self.points}"

    @property
    def is_held(self) -> bool:
        return self.held_until is not None and self.released_at is None


class RewardQuerySet(models.QuerySet):
    def redeemable(self, now: dt.datetime) -> "RewardQuerySet":
        """Active and within the availability window at `now` (stock is not considered)."""
        return self.filter(
            Q(available_from__isnull=True) | Q(available_from__lte=now),
            Q(available_until__isnull=True) | Q(available_until__gt=now),
            is_active=True,
        )


class Reward(models.Model):
    """Something in the catalog a customer can spend points on; redeeming it issues a voucher."""

    class Kind(models.TextChoices):
        AMOUNT_OFF = "amount_off", _("Fixed amount off")
        PERCENT_OFF = "percent_off", _("Percentage off")
        FREE_SHIPPING = "free_shipping", _("Free shipping")
        FREE_PRODUCT = "free_product", _("Free product")

    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    amount = models.DecimalField(
        _("amount off"), max_digits=10, decimal_places=2, null=True, blank=True,
        help_text=_("Only for a fixed amount off."),
    )
    currency = models.CharField(
        _("currency"), max_length=3, blank=True,
        help_text=_("ISO code of the amount, e.g. EUR. Only for a fixed amount off."),
    )
    percent = models.PositiveSmallIntegerField(
        _("percent off"), null=True, blank=True,
        help_text=_("1 to 100. Only for a percentage off."),
    )
    sku = models.CharField(
        _("product SKU"), max_length=64, blank=True, help_text=_("Only for a free product."),
    )
    cost = models.PositiveIntegerField(_("cost in points"))
    is_active = models.BooleanField(_("active"), default=True)
    available_from = models.DateTimeField(_("available from"), null=True, blank=True)
    available_until = models.DateTimeField(_("available until"), null=True, blank=True)
    stock = models.PositiveIntegerField(
        _("stock"), null=True, blank=True,
        help_text=_("Vouchers left to issue. Empty means unlimited."),
    )
    voucher_valid_days = models.PositiveIntegerField(
        _("voucher valid for (days)"), default=90,
        help_text=_("How long a voucher can be used after it is issued."),
    )
    image = models.ImageField(_("image"), upload_to="loyalty/rewards/", blank=True)
    min_tier = models.ForeignKey(
        Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("minimum tier"),
        help_text=_("VIP early access: only members of this tier or a higher one can redeem it. "
                    "Empty: everyone."),
    )
    audience = models.ForeignKey(
        "customers.Segment", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("audience"),
        help_text=_("Only customers in this segment can redeem it. Empty: everyone."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    objects = RewardQuerySet.as_manager()

    class Meta:
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        ordering = ["cost", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(cost__gt=0), name="reward_cost_gt_0"),
            models.CheckConstraint(
                condition=Q(voucher_valid_days__gt=0), name="reward_voucher_valid_days_gt_0"
            ),
            models.CheckConstraint(
                condition=~Q(kind="amount_off")
                | (Q(amount__gt=0) & ~Q(currency="")),
                name="reward_amount_off_has_amount_currency",
            ),
            models.CheckConstraint(
                condition=~Q(kind="percent_off") | Q(percent__gte=1, percent__lte=100),
                name="reward_percent_off_has_percent",
            ),
            models.CheckConstraint(
                condition=~Q(kind="free_product") | ~Q(sku=""),
                name="reward_free_product_has_sku",
            ),
            models.CheckConstraint(
                condition=Q(available_from__isnull=True) | Q(available_until__isnull=True)
                | Q(available_until__gt=models.F("available_from")),
                name="reward_window_ends_after_start",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        required = {
            self.Kind.AMOUNT_OFF: ("amount", "currency"),
            self.Kind.PERCENT_OFF: ("percent",),
            self.Kind.FREE_PRODUCT: ("sku",),
        }.get(self.kind, ())
        errors = {field: _("Required for this kind of reward.")
                  for field in required if getattr(self, field) in (None, "")}
        if self.percent is not None and not 1 <= self.percent <= 100:
            errors["percent"] = _("Between 1 and 100.")
        if (self.available_from and self.available_until
                and self.available_until <= self.available_from):
            errors["available_until"] = _("Must be after the start of the window.")
        if errors:
            raise ValidationError(errors)


CODE_LENGTH = 12
CODE_GROUP = 4


def voucher_code_normalize(code: str) -> str:
    """A code as stored, whatever its case, spacing or dashes."""
    raw = re.sub(r"[^0-9A-Za-z]", "", code or "").upper()
    if len(raw) != CODE_LENGTH:
        return raw
    return "-".join(raw[i:i + CODE_GROUP] for i in range(0, CODE_LENGTH, CODE_GROUP))


class Redemption(models.Model):
    """Points spent on a reward, and the voucher code it issued."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("Issued")
        # Read, never stored: an issued tier gift whose order is still in its return window.
        HELD = "held", _("Usable after the return window")
        USED = "used", _("Used")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")

    account = models.ForeignKey(
        LoyaltyAccount, on_delete=models.PROTECT, related_name="redemptions",
        verbose_name=_("account"),
    )
    reward = models.ForeignKey(
        Reward, on_delete=models.PROTECT, related_name="redemptions", verbose_name=_("reward")
    )
    points = models.PositiveIntegerField(
        _("points"), help_text=_("The reward's cost then; 0 for a voucher given as a gift."))
    code = models.CharField(_("voucher code"), max_length=20, unique=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ISSUED
    )
    client_key = models.CharField(
        _("client idempotency key"), max_length=200, blank=True,
        help_text=_("Sent by the caller; the same key returns the same redemption."),
    )
    expires_at = models.DateTimeField(_("expires at"))
    held_until = models.DateTimeField(
        _("usable from"), null=True, blank=True,
        help_text=_("A tier gift unlocked by an order still in its return window: usable from "
                    "this time, and cancelled if the order is refunded before."),
    )
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    order_reference = models.CharField(_("order"), max_length=200, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "client_key"], condition=~Q(client_key=""),
                name="redemption_unique_client_key",
            ),
            models.CheckConstraint(
                condition=~Q(status="used") | Q(used_at__isnull=False),
                name="redemption_used_has_used_at",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | Q(cancelled_at__isnull=False),
                name="redemption_cancelled_has_cancelled_at",
            ),
        ]

    def __str__(self):
        return self.code

    def current_status(self, now=None) -> str:
        """The stored status, with an issued voucher past its expiry read as expired."""
        now = now or timezone.now()
        if self.status == self.Status.ISSUED and self.expires_at <= now:
            return self.Status.EXPIRED
        if self.status == self.Status.ISSUED and self.held_until and self.held_until > now:
            return self.Status.HELD
        return self.status
