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

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("loyalty account")
        verbose_name_plural = _("loyalty accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(pending__gte=0), name="loyaltyaccount_pending_gte_0"
            ),
        ]

    def __str__(self):
        return str(self.customer)


class EarningRule(models.Model):
    """How many points something earns. Editing a rule bumps its version; every entry records
    the rule and version that produced it, so a change only affects what happens afterwards."""

    class Kind(models.TextChoices):
        ORDER = "order", _("Order paid")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices, default=Kind.ORDER)
    points_per_unit = models.DecimalField(
        _("points per currency unit"), max_digits=8, decimal_places=2, default=1,
        help_text=_("Points for each whole unit of the order total after discounts "
                    "(1 = one point per euro). The result is rounded down."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(
        _("version"), default=1, editable=False,
        help_text=_("Goes up by one with every change."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("earning rule")
        verbose_name_plural = _("earning rules")
        constraints = [
            models.UniqueConstraint(
                fields=["kind"], condition=Q(is_active=True, kind="order"),
                name="earningrule_one_active_order_rule",
            ),
            models.CheckConstraint(
                condition=Q(points_per_unit__gte=0), name="earningrule_points_per_unit_gte_0"
            ),
        ]

    def __str__(self):
        return self.name


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

    account = models.ForeignKey(
        LoyaltyAccount, on_delete=models.PROTECT, related_name="entries",
        verbose_name=_("account"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    amount = models.IntegerField(_("points"))
    held = models.BooleanField(
        _("held"), default=False,
        help_text=_("Posted to pending points rather than available points."),
    )
    order = models.ForeignKey(
        "customers.Order", on_delete=models.PROTECT, null=True, blank=True,
        related_name="points_entries", verbose_name=_("order"),
    )
    refund = models.ForeignKey(
        "customers.Refund", on_delete=models.PROTECT, null=True, blank=True,
        related_name="points_entries", verbose_name=_("refund"),
    )
    activity = models.ForeignKey(
        "customers.Activity", on_delete=models.PROTECT, null=True, blank=True,
        related_name="points_entries", verbose_name=_("activity"),
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="points_adjustments", verbose_name=_("staff member"),
    )
    reason = models.TextField(_("reason"), blank=True)
    rule = models.ForeignKey(
        EarningRule, on_delete=models.PROTECT, null=True, blank=True,
        related_name="entries", verbose_name=_("earning rule"),
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
        indexes = [models.Index(fields=["account", "-created_at"])]
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
                condition=~Q(held=True) | Q(kind__in=["earn", "reverse"]),
                name="pointsentry_only_earn_reverse_held",
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
            models.Index(
                fields=["held_until"], condition=Q(released_at__isnull=True),
                name="pointslot_due_idx",
            ),
        ]

    def __str__(self):
        return f"{self.remaining}/{self.points}"

    @property
    def is_held(self) -> bool:
        return self.held_until is not None and self.released_at is None
