from django import forms
from django.contrib import admin, messages
from django.db import models
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from kernel.admin import (
    DONE,
    FAILED,
    SKIPPED,
    WAITING,
    NoAdd,
    NoDelete,
    ReadOnlyInline,
    SingletonAdmin,
    action_confirmed,
    admin_link,
    apply_each,
    coloured_status,
    confirm_action,
)
from kernel.admin_translations import TranslatedAdmin
from loyalty.admin import RedemptionAdmin
from loyalty.models import Redemption

from . import discounts, services
from .models import DiscountSync, PlatformConnection, PublishableKey


@admin.register(PublishableKey)
class PublishableKeyAdmin(TranslatedAdmin):
    """A storefront: its publishable key (public), its signing secret (the shop's server
    only), the origins allowed to use it, the shop's own sign-up and log-in pages, the theme."""

    list_display = ("name", "platform", "key", "created_at", "active")
    list_filter = ("platform", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "key", "allowed_origins")
    readonly_fields = ("key", "signing_secret", "created_at", "revoked_at")
    fieldsets = (
        (None, {"fields": ("name", "platform", "key", "signing_secret", "allowed_origins",
                           "created_at", "revoked_at")}),
        (gettext_lazy("The shop's pages"), {"fields": ("signup_url", "login_url",
                                                       "add_to_cart_url")}),
        (gettext_lazy("Look"), {"fields": ("launcher_text", "position", "accent_colour",
                                           "text_colour", "background_colour", "font_family")}),
    )
    actions = ("rotate_secret", "revoke_selected")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.display(description=gettext_lazy("active"), boolean=True)
    def active(self, key):
        return key.is_active

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        fields = {name: form.cleaned_data[name] for name in form.cleaned_data
                  if name not in ("name", "platform", "allowed_origins")}
        created = services.publishable_key_create(
            name=form.cleaned_data["name"], platform=form.cleaned_data["platform"],
            allowed_origins=form.cleaned_data["allowed_origins"], **fields)
        obj.pk, obj.key, obj.signing_secret = created.pk, created.key, created.signing_secret
        obj.created_at = created.created_at
        obj._state.adding = False
        obj._state.db = created._state.db

    @admin.action(description=gettext_lazy("Make a new signing secret"), permissions=["change"])
    def rotate_secret(self, request, queryset):
        if not action_confirmed(request):
            return confirm_action(
                request, self, queryset, action="rotate_secret",
                title=_("Make new signing secrets?"),
                question=_("Shoppers signed with the old secret are refused from now on: put "
                           "the new secret on the shop's server at once."),
                button=_("Yes, make new secrets"))
        for key in queryset:
            services.publishable_key_rotate_secret(publishable_key=key)
        self.message_user(request, _("New signing secrets made."), messages.SUCCESS)
        return None

    @admin.action(description=gettext_lazy("Revoke selected keys"), permissions=["change"])
    def revoke_selected(self, request, queryset):
        if not action_confirmed(request):
            return confirm_action(
                request, self, queryset, action="revoke_selected",
                title=_("Revoke publishable keys?"),
                question=_("The widget stops working on the shops using these keys."),
                button=_("Yes, revoke them"))
        count = 0
        for key in queryset.filter(revoked_at__isnull=True):
            services.publishable_key_revoke(publishable_key=key)
            count += 1
        self.message_user(request, ngettext("Revoked %(n)d key.", "Revoked %(n)d keys.", count)
                          % {"n": count}, messages.SUCCESS)
        return None


# --- Discount codes in the shop's platform (issue 14, branch `discounts`) -------------------

SECRETS = ("access_token", "consumer_key", "consumer_secret")


def secret_hint(value: str) -> str:
    """A stored secret as staff see it again: its last four characters only."""
    if not value:
        return _("not set")
    return "…" + value[-4:] if len(value) > 8 else "…"


class PlatformConnectionForm(forms.ModelForm):
    """Secrets are never shown back: an empty field keeps the stored one."""

    class Meta:
        model = PlatformConnection
        fields = ("platform", "shop_url", "shopify_api_version", *SECRETS)
        widgets = {name: forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"})
                   for name in SECRETS}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in SECRETS:
            stored = getattr(self.instance, name, "")
            self.fields[name].help_text = "{} {}".format(
                self.fields[name].help_text,
                _("Stored: %(hint)s. Leave empty to keep it.") % {"hint": secret_hint(stored)})

    def clean(self):
        data = super().clean()
        for name in SECRETS:
            if not data.get(name):
                data[name] = getattr(self.instance, name, "")
        platform, url = data.get("platform"), (data.get("shop_url") or "").strip()
        required = {PlatformConnection.Platform.SHOPIFY: ("shop_url", "access_token"),
                    PlatformConnection.Platform.WOOCOMMERCE: ("shop_url", "consumer_key",
                                                              "consumer_secret")}.get(platform, ())
        for name in required:
            if not data.get(name):
                self.add_error(name, _("Required for this platform."))
        local = any(host in url for host in ("://127.0.0.1", "://localhost"))
        if platform == PlatformConnection.Platform.WOOCOMMERCE and url and not (
                url.startswith("https://") or local):
            self.add_error("shop_url", _("Use the site's https:// address: WooCommerce only "
                                         "accepts its keys over HTTPS."))
        return data


@admin.register(PlatformConnection)
class PlatformConnectionAdmin(SingletonAdmin):
    form = PlatformConnectionForm
    fieldsets = [
        (None, {"fields": ("platform", "shop_url"), "description": gettext_lazy(
            "Every voucher Flywheel issues for a fixed amount or a percentage off is created "
            "in the shop's platform as a single-use discount code for that customer only, "
            "valid until the voucher expires. Leave the platform empty to keep vouchers in "
            "Flywheel only (the checkout then checks them through Flywheel's API).")}),
        (gettext_lazy("Shopify"), {"fields": ("shopify_api_version", "access_token")}),
        (gettext_lazy("WooCommerce"), {"fields": ("consumer_key", "consumer_secret")}),
    ]


SYNC_MEANING = {DiscountSync.Status.PENDING: WAITING, DiscountSync.Status.SYNCED: DONE,
                DiscountSync.Status.FAILED: FAILED, DiscountSync.Status.NOT_NEEDED: SKIPPED,
                DiscountSync.Status.REMOVING: WAITING, DiscountSync.Status.REMOVED: SKIPPED}


@admin.register(DiscountSync)
class DiscountSyncAdmin(NoAdd, NoDelete, admin.ModelAdmin):
    list_display = ("redemption", "customer", "reward", "platform", "sync_state", "attempts",
                    "last_error_excerpt", "next_attempt_at", "synced_at")
    list_filter = ("status", "platform", "redemption__reward")
    search_fields = ("redemption__code", "redemption__account__customer__email",
                     "external_id", "last_error")
    list_select_related = ("redemption__account__customer", "redemption__reward")
    readonly_fields = ("voucher_link", "platform", "sync_state", "external_id", "attempts",
                       "last_error", "next_attempt_at", "synced_at", "created_at",
                       "updated_at")
    fields = readonly_fields
    actions = ["push_again"]

    @admin.display(description=gettext_lazy("sync state"), ordering="status")
    def sync_state(self, obj):
        return coloured_status(obj.get_status_display(), SYNC_MEANING.get(obj.status))

    @admin.display(description=gettext_lazy("customer"))
    def customer(self, obj):
        return obj.redemption.account.customer

    @admin.display(description=gettext_lazy("reward"))
    def reward(self, obj):
        return obj.redemption.reward

    @admin.display(description=gettext_lazy("voucher"))
    def voucher_link(self, obj):
        return admin_link(obj.redemption)

    @admin.display(description=gettext_lazy("last error"))
    def last_error_excerpt(self, obj):
        return Truncator(obj.last_error).chars(80) or "–"

    @admin.action(description=gettext_lazy("Sync their codes with the shop again"),
                  permissions=["change"])
    def push_again(self, request, queryset):
        retriable = list(
            queryset.exclude(status__in=(DiscountSync.Status.SYNCED, DiscountSync.Status.REMOVED))
            .filter(redemption__reward__kind__in=list(discounts.SYNCED_KINDS))
            .select_related("redemption").order_by("pk"))
        if not action_confirmed(request):
            return confirm_action(
                request, self, queryset, objects=retriable, action="push_again",
                title=_("Sync the codes with the shop again?"),
                question=_("Create these vouchers' discount codes in the shop's platform "
                           "now (or delete them there, for cancelled vouchers)? A code the "
                           "platform already has from Flywheel is not made twice."),
                note=_("Codes already synced or removed, and vouchers of a kind that is not "
                       "pushed, are left as they are."),
                button=_("Yes, sync them"),
            )
        done = apply_each(request, self, retriable,
                          lambda sync: discounts.discount_sync_retry(sync=sync))
        self.message_user(request, ngettext(
            "Queued %(n)d code for the shop.", "Queued %(n)d codes for the shop.", done)
            % {"n": done}, messages.SUCCESS)
        return None



class DiscountSyncInline(ReadOnlyInline):
    model = DiscountSync
    verbose_name = verbose_name_plural = gettext_lazy("discount code in the shop")
    fields = ("sync_state", "platform", "external_id", "attempts", "last_error",
              "next_attempt_at", "synced_at")
    readonly_fields = fields

    @admin.display(description=gettext_lazy("sync state"))
    def sync_state(self, obj):
        return coloured_status(obj.get_status_display(), SYNC_MEANING.get(obj.status))


# The voucher's own page and list show its code's sync state too.
admin.site.unregister(Redemption)


@admin.register(Redemption)
class RedemptionWithDiscountCodeAdmin(RedemptionAdmin):
    list_display = (*RedemptionAdmin.list_display, "discount_code")
    list_filter = (*RedemptionAdmin.list_filter, "discount_sync__status")
    list_select_related = (*RedemptionAdmin.list_select_related, "discount_sync")
    inlines = [*RedemptionAdmin.inlines, DiscountSyncInline]

    @admin.display(description=gettext_lazy("code in the shop"))
    def discount_code(self, obj):
        sync = getattr(obj, "discount_sync", None)
        if sync is None:
            return "–"
        return coloured_status(sync.get_status_display(), SYNC_MEANING.get(sync.status))


# --- end of discount codes -------------------------------------------------------------------
