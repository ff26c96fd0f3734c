from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kernel.models import SingletonSettings

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
