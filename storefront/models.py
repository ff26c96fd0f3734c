"""Publishable keys (one per storefront: its origins, signing secret, links and theme) and the
signatures already exchanged for a shopper token (so none is used twice)."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kernel.models import SingletonSettings

ORIGIN = re.compile(r"https?://[a-z0-9.-]+(:\d{1,5})?")
COLOUR = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("A colour like #1a73e8."))
FONT = RegexValidator(r"^[A-Za-z0-9 ,'\"-]{0,200}$",
                      _("Font names separated by commas, e.g. \"Inter\", system-ui, sans-serif."))


class PublishableKey(models.Model):
    """A storefront the widget runs on. Its `pk_…` key is public (it is in the shop's pages);
    the signing secret stays on the shop's server and signs the logged-in shopper."""

    class Platform(models.TextChoices):
        SHOPIFY = "shopify", _("Shopify")
        WOOCOMMERCE = "woocommerce", _("WooCommerce")
        GENERIC = "generic", _("Other (hand-made)")

    class Position(models.TextChoices):
        END = "end", _("Bottom, at the end of the line (right in left-to-right languages)")
        START = "start", _("Bottom, at the start of the line (left in left-to-right languages)")

    name = models.CharField(_("name"), max_length=100, help_text=_("e.g. 'Main shop'."))
    key = models.CharField(_("publishable key"), max_length=64, unique=True, editable=False)
    signing_secret = models.CharField(
        _("signing secret"), max_length=64, editable=False,
        help_text=_("Signs the logged-in shopper on the shop's server. Never put it in a page."))
    platform = models.CharField(_("platform"), max_length=16, choices=Platform.choices,
                                default=Platform.GENERIC,
                                help_text=_("Whose customer ids the shop signs."))
    allowed_origins = models.TextField(
        _("allowed origins"), blank=True,
        help_text=_("The shop's origins, one per line, e.g. https://shop.example.com. Browsers "
                    "on any other origin are refused."))
    signup_url = models.URLField(_("sign-up page"), blank=True,
                                 help_text=_("The shop's own sign-up page, shown to guests."))
    login_url = models.URLField(_("log-in page"), blank=True,
                                help_text=_("The shop's own log-in page, shown to guests."))
    add_to_cart_url = models.CharField(
        _("add-to-cart link"), max_length=300, blank=True,
        help_text=_("Where the platform has one, with {variant_id} for the product's "
                    "variant id (set on each product) or {sku} for its SKU: "
                    "/cart/add?id={variant_id} (Shopify), /?add-to-cart={variant_id} "
                    "(WooCommerce). A product without the variant id the link needs gets no "
                    "add-to-cart button."))
    accent_colour = models.CharField(_("accent colour"), max_length=7, default="#1a56db",
                                     validators=[COLOUR])
    text_colour = models.CharField(_("text colour"), max_length=7, default="#111827",
                                   validators=[COLOUR])
    background_colour = models.CharField(_("background colour"), max_length=7,
                                         default="#ffffff", validators=[COLOUR])
    font_family = models.CharField(_("font"), max_length=200, blank=True, validators=[FONT],
                                   help_text=_("Empty: the shopper's system font."))
    position = models.CharField(_("launcher position"), max_length=8, choices=Position.choices,
                                default=Position.END)
    launcher_text = models.CharField(_("launcher text"), max_length=40, blank=True,
                                     help_text=_("Empty: “Rewards” in the shopper's language."))
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("storefront (publishable key)")
        verbose_name_plural = _("storefronts (publishable keys)")
        ordering = ["-created_at"]

    def __str__(self):
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def clean(self):
        wrong = [line for line in self.origins if not ORIGIN.fullmatch(line)]
        if wrong:
            raise ValidationError({"allowed_origins": _(
                "An origin is a scheme and a host (and a port), with no path: %(wrong)s") % {
                "wrong": ", ".join(wrong)}})

    # Every shopper of the shop sends this key: throttles count them by their address.
    throttle_by_address = True

    @property
    def origins(self) -> list[str]:
        return [line.strip().rstrip("/").lower() for line in self.allowed_origins.splitlines()
                if line.strip()]


class ShopperSignatureUse(models.Model):
    """A shopper signature exchanged for a token: the unique key refuses it a second time."""

    publishable_key = models.ForeignKey(PublishableKey, on_delete=models.CASCADE,
                                        related_name="signature_uses")
    signature = models.CharField(max_length=64)
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE,
                                 related_name="+")
    used_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["publishable_key", "signature"],
                                               name="signatureuse_key_signature_unique")]
        indexes = [models.Index(fields=["used_at"])]

    def __str__(self):
        return f"{self.publishable_key_id}:{self.signature[:12]}…"


# --- Discount codes in the shop's platform (issue 14, branch `discounts`) -------------------


class PlatformConnection(SingletonSettings):
    """Where vouchers become real discount codes: the shop's platform and its API credentials.
    Empty platform: no codes are created (vouchers show "not needed")."""

    class Platform(models.TextChoices):
        NONE = "", _("None: vouchers stay in Flywheel")
        SHOPIFY = "shopify", _("Shopify")
        WOOCOMMERCE = "woocommerce", _("WooCommerce")

    platform = models.CharField(_("platform"), max_length=16, choices=Platform.choices,
                                blank=True, default="")
    shop_url = models.CharField(
        _("shop address"), max_length=200, blank=True,
        help_text=_("Shopify: the shop's myshopify.com domain (my-shop.myshopify.com). "
                    "WooCommerce: the site's address (https://shop.example.com)."),
    )
    shopify_api_version = models.CharField(
        _("Shopify API version"), max_length=16, default="2026-10",
        help_text=_("The Admin GraphQL API version Flywheel calls (YYYY-MM)."),
    )
    access_token = models.CharField(
        _("Shopify access token"), max_length=200, blank=True,
        help_text=_("The Admin API access token of the shop's custom app, with the "
                    "write_discounts and read_customers scopes (shpat_…)."),
    )
    consumer_key = models.CharField(
        _("WooCommerce consumer key"), max_length=200, blank=True,
        help_text=_("A REST API key with read/write permission (ck_…)."),
    )
    consumer_secret = models.CharField(_("WooCommerce consumer secret"), max_length=200,
                                       blank=True, help_text=_("Its secret (cs_…)."))

    class Meta(SingletonSettings.Meta):
        verbose_name = _("shop platform connection")
        verbose_name_plural = _("shop platform connection")

    def __str__(self):
        return str(_("Shop platform connection"))

    @property
    def is_configured(self) -> bool:
        if self.platform == self.Platform.SHOPIFY:
            return bool(self.shop_url and self.access_token)
        if self.platform == self.Platform.WOOCOMMERCE:
            return bool(self.shop_url and self.consumer_key and self.consumer_secret)
        return False


class DiscountSync(models.Model):
    """A voucher's discount code in the shop's platform: whether it was created there."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SYNCED = "synced", _("Synced")
        FAILED = "failed", _("Failed")
        NOT_NEEDED = "not_needed", _("Not needed")
        # The voucher was cancelled after its code was made: the code is being deleted.
        REMOVING = "removing", _("Being removed from the shop")
        REMOVED = "removed", _("Removed from the shop")

    redemption = models.OneToOneField(
        "loyalty.Redemption", on_delete=models.CASCADE, related_name="discount_sync",
        verbose_name=_("voucher"),
    )
    platform = models.CharField(_("platform"), max_length=16, blank=True, choices=[
        (PlatformConnection.Platform.SHOPIFY, _("Shopify")),
        (PlatformConnection.Platform.WOOCOMMERCE, _("WooCommerce"))])
    status = models.CharField(_("sync state"), max_length=16, choices=Status.choices,
                              default=Status.PENDING)
    external_id = models.CharField(
        _("id in the platform"), max_length=200, blank=True,
        help_text=_("Shopify's discount node id or WooCommerce's coupon id."))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(
        _("next attempt"), null=True, blank=True,
        help_text=_("When a failure that may pass (rate limit, server error) is tried again."))
    synced_at = models.DateTimeField(_("synced at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("discount code in the shop")
        verbose_name_plural = _("discount codes in the shop")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(status="synced") | Q(synced_at__isnull=False),
                                   name="discountsync_synced_has_synced_at"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self):
        return str(self.redemption)


# --- end of discount codes -------------------------------------------------------------------
