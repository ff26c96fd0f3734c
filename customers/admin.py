"""Staff admin for customers: profiles, orders, webhook deliveries, API keys and logins.

History (orders, answers, activity, deliveries) is read-only; actions call the services.
"""

import json

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import Q, QuerySet
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from customers import services
from customers.models import (
    Activity,
    ApiKey,
    Attribute,
    Customer,
    CustomerEmail,
    ExternalId,
    Order,
    OrderLine,
    Refund,
    User,
    WebhookDelivery,
)
from customers.segments.filters import CustomerScoreInline, SegmentFilter
from kernel.admin import (
    DONE,
    FAILED,
    SKIPPED,
    WAITING,
    NewestFormSet,
    NoAdd,
    NoChange,
    ReadOnlyAdmin,
    ReadOnlyInline,
    YesNoFilter,
    action_confirmed,
    admin_link,
    coloured_status,
    confirm_action,
)
from kernel.emails import email_normalise
from kernel.errors import FlywheelError

# Customers


class ExternalIdInline(admin.TabularInline):
    model = ExternalId
    extra = 0


class CustomerEmailInline(ReadOnlyInline):
    model = CustomerEmail
    fields = ("email", "source", "created_at")
    readonly_fields = fields
    verbose_name_plural = gettext_lazy("Other emails they are known by (found by lookups; "
                                       "the email above stays theirs)")


class OrderInline(ReadOnlyInline):
    model = Order
    fields = ("order_link", "source", "status", "total", "refunded_total", "currency",
              "placed_at")
    readonly_fields = fields
    ordering = ("-placed_at", "-id")
    formset = NewestFormSet

    @admin.display(description=gettext_lazy("order"))
    def order_link(self, order):
        return admin_link(order)


class AttributeInline(ReadOnlyInline):
    model = Attribute
    fields = ("key", "value", "source_kind", "source_id", "captured_at")
    readonly_fields = fields
    ordering = ("-captured_at", "-id")
    verbose_name_plural = gettext_lazy("zero-party attributes (history, newest first)")


class ActivityInline(ReadOnlyInline):
    model = Activity
    fields = ("occurred_at", "kind_label", "reference", "data")
    readonly_fields = fields
    ordering = ("-occurred_at", "-id")
    formset = NewestFormSet
    verbose_name_plural = gettext_lazy("activity (newest first)")

    @admin.display(description=gettext_lazy("kind"))
    def kind_label(self, activity):
        return activity.kind_label


class HasAccountFilter(YesNoFilter):
    title = gettext_lazy("has account")
    parameter_name = "has_account"
    yes = Q(user__isnull=False)


class _LowerCaseEmail:
    """Emails are stored lower-case, as the services store them."""

    def clean_email(self):
        return email_normalise(self.cleaned_data["email"])


class CustomerForm(_LowerCaseEmail, forms.ModelForm):
    class Meta:
        model = Customer
        fields = ("email", "first_name", "last_name", "birthday", "locale", "user",
                  "accepts_marketing")


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    form = CustomerForm
    list_display = ("email", "full_name", "orders_count", "total_spent", "last_order_at",
                    "stage", "accepts_marketing", "created_at", "profile_link")
    list_select_related = ("score",)
    list_filter = ("accepts_marketing", "marketing_consent_source", "external_ids__source",
                   HasAccountFilter, "score__stage", "score__rfm_segment", "loyalty_tier",
                   "nps_category", SegmentFilter)
    search_fields = ("email", "first_name", "last_name", "external_ids__external_id",
                     "known_emails__email")
    readonly_fields = ("marketing_consent_at", "marketing_consent_source", "orders_count",
                       "total_spent", "first_order_at", "last_order_at", "created_at",
                       "updated_at", "erased_at")
    raw_id_fields = ("user",)
    fieldsets = (
        (None, {"fields": ("email", "first_name", "last_name", "birthday", "locale", "user")}),
        (gettext_lazy("Marketing consent"), {
            "fields": ("accepts_marketing", "marketing_consent_at", "marketing_consent_source"),
        }),
        (gettext_lazy("Purchases"), {
            "fields": ("orders_count", "total_spent", "first_order_at", "last_order_at"),
        }),
        (gettext_lazy("Record"), {"fields": ("created_at", "updated_at", "erased_at")}),
    )
    inlines = (ExternalIdInline, CustomerEmailInline, CustomerScoreInline, OrderInline,
               AttributeInline, ActivityInline)
    actions = ("erase_personal_data",)
    date_hierarchy = "created_at"

    @admin.display(description=gettext_lazy("name"))
    def full_name(self, customer):
        return customer.full_name

    @admin.display(description=gettext_lazy("customer page"))
    def profile_link(self, customer):
        return format_html('<a href="{}">{}</a>',
                           reverse("admin:customer_profile", args=[customer.pk]),
                           _("Open"))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "subtitle": format_html(
            '<a href="{}">{}</a>', reverse("admin:customer_profile", args=[object_id]),
            _("Open the customer page: points, quizzes, referrals, surveys and actions"))}
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description=gettext_lazy("stage"), ordering="score__stage")
    def stage(self, customer):
        score = getattr(customer, "score", None)
        return score.get_stage_display() if score else "–"

    def save_model(self, request, obj, form, change):
        consent_changed = "accepts_marketing" in form.changed_data
        services.customer_staff_save(
            customer=obj, created=not change,
            consent_before=form.initial.get("accepts_marketing", False) if consent_changed
            else None)

    @admin.action(description=gettext_lazy("Erase personal data"), permissions=["change"])
    def erase_personal_data(self, request, queryset):
        if not action_confirmed(request):
            return confirm_action(
                request, self, queryset, action="erase_personal_data",
                title=_("Erase personal data?"),
                question=_("Erase the personal data of these customers? Their names, emails, "
                           "answers, external ids and logins are removed for good; their "
                           "orders stay, anonymous, so the shop's totals still add up."),
                note=_("This cannot be undone."),
                button=_("Yes, erase their data"),
            )
        count = 0
        for customer in queryset.filter(erased_at__isnull=True):
            services.customer_erase(customer=customer)
            count += 1
        self.message_user(
            request,
            ngettext("Erased the personal data of %(n)d customer.",
                     "Erased the personal data of %(n)d customers.", count) % {"n": count},
            messages.SUCCESS,
        )
        return None


# Orders


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ("sku", "name", "quantity", "unit_price")
    readonly_fields = fields


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = ("external_id", "amount", "created_at")
    readonly_fields = fields


class ShopCurrencyFilter(admin.SimpleListFilter):
    title = gettext_lazy("shop currency")
    parameter_name = "shop_currency"

    def lookups(self, request, model_admin):
        return (("converted", gettext_lazy("In or converted to the shop's currency")),
                ("unconvertible", gettext_lazy("No way to convert: earns nothing")))

    def queryset(self, request, queryset):
        if self.value() == "converted":
            return queryset.filter(shop_total__isnull=False)
        if self.value() == "unconvertible":
            return queryset.filter(shop_total__isnull=True)
        return queryset


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    """Orders come from the shop: staff look, the shop's events change them."""

    list_display = ("__str__", "external_id", "customer", "source", "status", "total",
                    "refunded_total", "currency", "shop_amount", "placed_at")
    list_filter = ("status", "source", "currency", ShopCurrencyFilter)
    list_select_related = ("customer",)
    search_fields = ("external_id", "name", "customer__email")
    date_hierarchy = "placed_at"
    inlines = (OrderLineInline, RefundInline)
    fieldsets = (
        (None, {"fields": ("source", "external_id", "name", "customer", "status")}),
        (gettext_lazy("Money"), {
            "fields": ("currency", "total", "discount_total", "refunded_total",
                       "shop_amount", "discount_codes", "referral_code"),
        }),
        (gettext_lazy("Dates"), {
            "fields": ("placed_at", "paid_at", "cancelled_at", "source_updated_at",
                       "created_at"),
        }),
    )
    readonly_fields = ("created_at", "shop_amount")

    @admin.display(description=gettext_lazy("kept, in shop currency"), ordering="shop_net")
    def shop_amount(self, order):
        """What stayed with the shop in SHOP_CURRENCY, or why it can't be counted."""
        if order.shop_net is None:
            return _("Not convertible: a %(currency)s order came without an amount in "
                           "%(shop)s, so it earns no points and adds nothing to spend.") % {
                "currency": order.currency, "shop": settings.SHOP_CURRENCY}
        return f"{order.shop_net} {settings.SHOP_CURRENCY}"


# Webhook deliveries

DELIVERY_MEANING = {
    WebhookDelivery.Status.RECEIVED: WAITING,
    WebhookDelivery.Status.WAITING: WAITING,
    WebhookDelivery.Status.PROCESSED: DONE,
    WebhookDelivery.Status.IGNORED: SKIPPED,
    WebhookDelivery.Status.FAILED: FAILED,
}


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(NoAdd, NoChange, admin.ModelAdmin):
    """Deliveries as they arrived. Staff can read and reprocess them, never edit them."""

    list_display = ("received_at", "source", "topic", "status_badge", "attempts",
                    "error_excerpt", "notes_excerpt", "order_link")
    list_filter = ("source", "status", "topic", ("notes", admin.EmptyFieldListFilter))
    list_select_related = ("order",)
    search_fields = ("event_id", "error", "body")
    date_hierarchy = "received_at"
    actions = ("reprocess_failed",)
    fieldsets = (
        (None, {"fields": ("source", "topic", "event_id", "status_badge", "attempts",
                           "error", "notes", "waiting_for", "order_link")}),
        (gettext_lazy("Timing"), {"fields": ("received_at", "processed_at")}),
        (gettext_lazy("Request"), {"fields": ("headers_pretty", "body_pretty", "body_sha256")}),
        (gettext_lazy("Answer"), {"fields": ("response_status", "response_body")}),
    )
    readonly_fields = ("source", "topic", "event_id", "status_badge", "attempts", "error",
                       "notes", "waiting_for", "order_link", "received_at", "processed_at",
                       "headers_pretty",
                       "body_pretty", "body_sha256", "response_status", "response_body")

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_badge(self, delivery):
        return coloured_status(delivery.get_status_display(), DELIVERY_MEANING.get(delivery.status))

    @admin.display(description=gettext_lazy("error"))
    def error_excerpt(self, delivery):
        return Truncator(delivery.error).chars(80)

    @admin.display(description=gettext_lazy("skipped items"))
    def notes_excerpt(self, delivery):
        return Truncator(delivery.notes).chars(80)

    @admin.display(description=gettext_lazy("order"))
    def order_link(self, delivery):
        return admin_link(delivery.order)

    @admin.display(description=gettext_lazy("headers"))
    def headers_pretty(self, delivery):
        return format_html("<pre>{}</pre>", json.dumps(delivery.headers, indent=2,
                                                      sort_keys=True, ensure_ascii=False))

    @admin.display(description=gettext_lazy("body"))
    def body_pretty(self, delivery):
        try:
            text = json.dumps(json.loads(delivery.body), indent=2, ensure_ascii=False)
        except (ValueError, RecursionError):  # not JSON, or nested too deep to indent
            text = delivery.body
        # JSON escapes can spell lone surrogates, which no page can be encoded with.
        text = text.encode("utf-8", "backslashreplace").decode()
        if delivery.raw_body is None:
            return format_html('<pre style="white-space: pre-wrap">{}</pre>', text)
        return format_html(
            '<p>{}</p><pre style="white-space: pre-wrap">{}</pre>',
            _("Not UTF-8 text without NUL bytes: shown decoded as it looks (%(encoding)s), "
              "with NUL bytes and undecodable bytes escaped. The exact %(size)d bytes are "
              "kept.") % {"encoding": json.detect_encoding(delivery.raw),
                          "size": len(delivery.raw)},
            text)

    @admin.action(description=gettext_lazy("Reprocess selected failed deliveries"))
    def reprocess_failed(self, request, queryset: QuerySet[WebhookDelivery]):
        failed = [d for d in queryset if d.status == WebhookDelivery.Status.FAILED]
        skipped = len(queryset) - len(failed)
        if not action_confirmed(request):
            return confirm_action(
                request, self, queryset, objects=failed, action="reprocess_failed",
                title=_("Reprocess failed deliveries?"),
                question=_("Apply these failed deliveries again, as they were received?"),
                note=ngettext(
                    "%(n)d selected delivery has not failed and will be skipped.",
                    "%(n)d selected deliveries have not failed and will be skipped.", skipped,
                ) % {"n": skipped} if skipped else "",
                button=_("Yes, reprocess them"),
            )
        processed = still_failed = 0
        for delivery in failed:
            try:
                services.delivery_reprocess(delivery=delivery)
            except FlywheelError:
                continue  # no longer failed: another worker got there first
            delivery.refresh_from_db()
            if delivery.status == WebhookDelivery.Status.FAILED:
                still_failed += 1
            else:
                processed += 1
        queued = len(failed) - processed - still_failed
        if processed:
            self.message_user(request, ngettext(
                "%(n)d delivery was reprocessed.", "%(n)d deliveries were reprocessed.",
                processed) % {"n": processed}, messages.SUCCESS)
        if queued:
            self.message_user(request, ngettext(
                "%(n)d delivery was queued for reprocessing.",
                "%(n)d deliveries were queued for reprocessing.", queued) % {"n": queued},
                messages.INFO)
        if still_failed:
            self.message_user(request, ngettext(
                "%(n)d delivery failed again; see its error.",
                "%(n)d deliveries failed again; see their errors.", still_failed,
            ) % {"n": still_failed}, messages.ERROR)
        if skipped:
            self.message_user(request, ngettext(
                "%(n)d delivery was skipped because it had not failed.",
                "%(n)d deliveries were skipped because they had not failed.", skipped,
            ) % {"n": skipped}, messages.WARNING)
        return None


# API keys


class ApiKeyAddForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ("name",)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are made by the service and shown once; only their hash is kept."""

    list_display = ("name", "prefix", "created_at", "last_used_at", "active")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "prefix")
    fields = ("name", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "created_at", "last_used_at", "revoked_at")
    actions = ("revoke_selected",)
    created_template = "admin/customers/apikey/created.html"

    @admin.display(description=gettext_lazy("active"), boolean=True)
    def active(self, api_key):
        return api_key.is_active

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiKeyAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return ("name",) if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        api_key, raw_key = services.api_key_create(name=form.cleaned_data["name"])
        obj.pk, obj.prefix, obj.hashed_key = api_key.pk, api_key.prefix, api_key.hashed_key
        obj.created_at = api_key.created_at
        obj._state.adding = False
        obj._state.db = api_key._state.db
        obj.raw_key = raw_key

    def response_add(self, request, obj, post_url_continue=None):
        # Rendered, not redirected: the raw key is never stored, not even in a message cookie.
        context = {
            **self.admin_site.each_context(request),
            "title": _("API key created"),
            "opts": self.model._meta,
            "api_key": obj,
            "raw_key": obj.raw_key,
        }
        return TemplateResponse(request, self.created_template, context)

    @admin.action(description=gettext_lazy("Revoke selected keys"), permissions=["change"])
    def revoke_selected(self, request, queryset):
        if not action_confirmed(request):
            return confirm_action(
                request, self, queryset, action="revoke_selected",
                title=_("Revoke API keys?"),
                question=_("Revoke these keys? Systems using them are refused within seconds."),
                note=_("A revoked key cannot be restored; create a new one instead."),
                button=_("Yes, revoke them"),
            )
        count = 0
        for api_key in queryset.filter(revoked_at__isnull=True):  # the active ones
            services.api_key_revoke(api_key=api_key)
            count += 1
        self.message_user(
            request,
            ngettext("Revoked %(n)d key.", "Revoked %(n)d keys.", count) % {"n": count},
            messages.SUCCESS,
        )
        return None


# Logins


class UserCreationForm(_LowerCaseEmail, AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserEditForm(_LowerCaseEmail, UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Django's user admin with the email as the login."""

    form = UserEditForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (gettext_lazy("Personal info"), {"fields": ("first_name", "last_name")}),
        (gettext_lazy("Permissions"), {
            "fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions"),
        }),
        (gettext_lazy("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {
            "classes": ("wide",),
            "fields": ("email", "usable_password", "password1", "password2"),
        }),
    )
    list_display = ("email", "first_name", "last_name", "is_staff", "is_active")
    search_fields = ("email", "first_name", "last_name")
    ordering = ("email",)



# Segments, RFM, CLV and outbound webhooks are registered from their own module.
from customers import admin_contact  # noqa: E402, F401
from customers.segments import admin as segments_admin  # noqa: E402, F401
