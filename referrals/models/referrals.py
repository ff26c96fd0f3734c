"""Refer a friend: the program's settings, each customer's code, clicks on share links, the
referrals themselves and the fraud checks written on them."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kernel.models import SingletonSettings

MONEY = {"max_digits": 14, "decimal_places": 2}

# Codes use an alphabet without look-alikes (no 0/O, 1/I/L, 5/S, 2/Z, 8/B).
CODE_ALPHABET = "346779ACDEFGHJKMNPQRTUVWXY"
CODE_LENGTH = 7
CODE_MAX_LENGTH = 16  # the longest a stored code may be (generated ones are CODE_LENGTH)


def code_normalize(code: str) -> str:
    """A share link's code as stored: without spaces, upper case."""
    return "".join((code or "").split()).upper()


def default_hold_days() -> int:
    return settings.LOYALTY_HOLD_DAYS


class ReferralProgram(SingletonSettings):
    """The refer-a-friend settings: one row (pk 1), edited in admin."""

    class ReferrerRewardKind(models.TextChoices):
        POINTS = "points", _("Points (loyalty rule 'Referred a friend')")
        REWARD = "reward", _("A reward voucher")

    is_active = models.BooleanField(
        _("active"), default=True,
        help_text=_("Switched off, share links still open but no new referrals are made."),
    )
    friend_reward = models.ForeignKey(
        "loyalty.Reward", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("friend's welcome voucher"),
        # xgettext:no-python-format
        help_text=_("The reward whose voucher a referred friend gets when they give their email, "
                    "e.g. 10% off a first order. Given free (0 points). Empty: no voucher."),
    )
    referrer_reward_kind = models.CharField(
        _("referrer's reward"), max_length=16, choices=ReferrerRewardKind.choices,
        default=ReferrerRewardKind.POINTS,
        help_text=_("Points are set on the loyalty earning rule for the activity 'Referred a "
                    "friend'; a reward voucher is the reward chosen below."),
    )
    referrer_reward = models.ForeignKey(
        "loyalty.Reward", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("referrer's reward voucher"),
        help_text=_("Used when the referrer's reward is a reward voucher."),
    )
    first_order_only = models.BooleanField(
        _("first order only"), default=True,
        help_text=_("Only a friend's first paid order converts a referral; a friend who already "
                    "ordered is blocked."),
    )
    minimum_order_total = models.DecimalField(
        _("minimum order total"), default=Decimal("0"), validators=[MinValueValidator(0)],
        help_text=_("The friend's order must be at least this much to count."), **MONEY,
    )
    hold_days = models.PositiveSmallIntegerField(
        _("hold (days)"), default=default_hold_days,
        help_text=_("Days after the friend's order before the referrer is rewarded (the return "
                    "window). A refund in that time voids the referral; after it, a refund "
                    "reverses the reward."),
    )
    cap_per_30_days = models.PositiveSmallIntegerField(
        _("cap per referrer per 30 days"), default=10,
        help_text=_("Conversions a referrer can be rewarded for in any 30 days; more are "
                    "blocked. 0 means no cap."),
    )
    attribution_days = models.PositiveSmallIntegerField(
        _("attribution window (days)"), default=30, validators=[MinValueValidator(1)],
        help_text=_("How long after signing up a friend's order still counts."),
    )
    ip_referrals_7_days = models.PositiveSmallIntegerField(
        _("referrals per IP in 7 days"), default=3,
        help_text=_("More sign-ups than this from one IP address in 7 days are flagged for "
                    "review (households share an address, so they are not blocked)."),
    )
    same_device_hours = models.PositiveSmallIntegerField(
        _("same device window (hours)"), default=72,
        help_text=_("A friend signing up from the referrer's own IP address and browser within "
                    "this many hours of the referrer is flagged for review."),
    )

    class Meta(SingletonSettings.Meta):
        verbose_name = _("referral program")
        verbose_name_plural = _("referral program")
        # Named before the kernel's "<model>_single_row"; a rename would alter the table.
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="referralprogram_singleton"),
            models.CheckConstraint(condition=Q(minimum_order_total__gte=0),
                                   name="referralprogram_minimum_gte_0"),
        ]

    def __str__(self):
        return str(_("Referral program"))

    def clean(self):
        if self.referrer_reward_kind == self.ReferrerRewardKind.REWARD and \
                not self.referrer_reward_id:
            raise ValidationError({"referrer_reward": _(
                "Choose the reward voucher the referrer gets, or reward them with points.")})


class ReferralCode(models.Model):
    """A customer's own code and share link `/r/<code>`, made the first time it is needed."""

    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, related_name="referral_code_row",
        verbose_name=_("referrer"),
    )
    code = models.CharField(_("code"), max_length=CODE_MAX_LENGTH, unique=True)
    # Where the referrer was last seen (hashed), for the same-device check.
    owner_ip_hash = models.CharField(_("referrer's IP (hash)"), max_length=64, blank=True)
    owner_ua_hash = models.CharField(_("referrer's browser (hash)"), max_length=64, blank=True)
    owner_seen_at = models.DateTimeField(_("referrer last seen"), null=True, blank=True)
    share_card = models.BinaryField(_("share card PNG"), null=True, blank=True, editable=False)
    share_card_key = models.CharField(
        _("share card version"), max_length=64, blank=True, editable=False,
        help_text=_("The card is redrawn when the offer or the shop's address changes."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("referral code")
        verbose_name_plural = _("referral codes")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(code=""), name="referralcode_code_not_empty"),
        ]

    def __str__(self):
        return self.code


class ReferralClick(models.Model):
    """Clicks on a share link, one row per code, visitor IP (hashed) and day, with a count that
    stops at a cap: a bot hammering a link adds nothing past it."""

    code = models.ForeignKey(ReferralCode, on_delete=models.CASCADE, related_name="clicks")
    ip_hash = models.CharField(_("IP (hash)"), max_length=64)
    day = models.DateField(_("day"))
    count = models.PositiveIntegerField(_("clicks"), default=1)
    first_at = models.DateTimeField(_("first click"), default=timezone.now)

    class Meta:
        verbose_name = _("referral click")
        verbose_name_plural = _("referral clicks")
        ordering = ["-day", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["code", "ip_hash", "day"],
                                    name="referralclick_code_ip_day_unique"),
            models.CheckConstraint(condition=Q(count__gte=1), name="referralclick_count_gte_1"),
        ]
        indexes = [models.Index(fields=["ip_hash", "day"])]

    def __str__(self):
        return f"{self.code} {self.day} ×{self.count}"


class Referral(models.Model):
    """One friend referred by one referrer, from sign-up (or a first order) to reward."""

    class Status(models.TextChoices):
        SIGNED_UP = "signed_up", _("Signed up")
        PENDING = "pending", _("Pending (in hold)")
        FLAGGED = "flagged", _("Flagged for review")
        REWARDED = "rewarded", _("Rewarded")
        VOID = "void", _("Void")
        REVERSED = "reversed", _("Reversed")
        BLOCKED = "blocked", _("Blocked")
        REJECTED = "rejected", _("Rejected")
        EXPIRED = "expired", _("Expired")

    # The statuses that count as a conversion (the fraud cap, the program's numbers).
    CONVERTED = (Status.PENDING, Status.FLAGGED, Status.REWARDED)

    referrer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="referrals_made",
        verbose_name=_("referrer"),
    )
    code = models.ForeignKey(ReferralCode, on_delete=models.CASCADE, related_name="referrals")
    friend = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="referrals_received", verbose_name=_("friend"),
    )
    friend_email = models.EmailField(_("friend's email"), max_length=254)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.SIGNED_UP
    )
    reason = models.CharField(
        _("reason"), max_length=255, blank=True,
        help_text=_("Why it was blocked, voided, rejected or approved."),
    )
    voucher = models.ForeignKey(
        "loyalty.Redemption", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("friend's voucher"),
    )
    voucher_code = models.CharField(_("friend's voucher code"), max_length=20, blank=True)
    order = models.OneToOneField(
        "customers.Order", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="referral", verbose_name=_("friend's order"),
    )
    order_total = models.DecimalField(_("order total"), default=Decimal("0"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    ip_hash = models.CharField(_("friend's IP (hash)"), max_length=64, blank=True)
    ua_hash = models.CharField(_("friend's browser (hash)"), max_length=64, blank=True)
    hold_until = models.DateTimeField(_("held until"), null=True, blank=True)
    converted_at = models.DateTimeField(_("converted"), null=True, blank=True)
    rewarded_at = models.DateTimeField(_("rewarded"), null=True, blank=True)
    reward_points = models.PositiveIntegerField(
        _("points given"), default=0, help_text=_("Points the referrer earned for it."))
    reward_voucher = models.ForeignKey(
        "loyalty.Redemption", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("referrer's voucher"),
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-created_at", "-id"]
        constraints = [
            # A friend is referred once per code; the email is stored normalised.
            models.UniqueConstraint(fields=["code", "friend_email"],
                                    name="referral_code_friend_email_unique"),
            models.CheckConstraint(condition=Q(order_total__gte=0),
                                   name="referral_order_total_gte_0"),
            models.CheckConstraint(
                condition=~Q(status="rewarded") | Q(rewarded_at__isnull=False),
                name="referral_rewarded_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "hold_until"]),
            models.Index(fields=["referrer", "converted_at"]),
            models.Index(fields=["ip_hash", "created_at"]),
        ]

    def __str__(self):
        return f"{self.code} → {self.friend_email}"


class ReferralCheck(models.Model):
    """The result of one fraud check on a referral, with what it saw."""

    class Outcome(models.TextChoices):
        PASSED = "passed", _("Passed")
        FLAGGED = "flagged", _("Flagged")
        BLOCKED = "blocked", _("Blocked")

    class Stage(models.TextChoices):
        SIGNUP = "signup", _("Sign-up")
        ORDER = "order", _("Order")

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="checks")
    check_name = models.SlugField(_("check"), max_length=48)
    stage = models.CharField(_("stage"), max_length=8, choices=Stage.choices)
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    created_at = models.DateTimeField(_("checked"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("fraud check")
        verbose_name_plural = _("fraud checks")
        ordering = ["referral", "stage", "check_name"]
        constraints = [
            models.UniqueConstraint(fields=["referral", "check_name", "stage"],
                                    name="referralcheck_once_per_stage"),
        ]

    def __str__(self):
        return f"{self.check_name}: {self.outcome}"


class FlaggedReferral(Referral):
    """The review queue: referrals a fraud check flagged, waiting for staff."""

    class Meta:
        proxy = True
        verbose_name = _("flagged referral")
        verbose_name_plural = _("review queue: flagged referrals")
