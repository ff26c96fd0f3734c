"""Publishable keys (one per storefront: its origins, signing secret, links and theme) and the
signatures already exchanged for a shopper token (so none is used twice)."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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
        help_text=_("Where the platform supports one, with {sku} for the product, e.g. "
                    "/cart/add?id={sku} (Shopify) or /?add-to-cart={sku} (WooCommerce)."))
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
