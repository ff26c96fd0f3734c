"""Staff tools for the loyalty program. Every change goes through loyalty.services."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from customers.admin import NewestFormSet, ReadOnlyInline, action_confirmed, confirm_action
from customers.errors import FlywheelError

from . import services
from .models import EarningRule, LoyaltyAccount, PointsEntry, Redemption, Reward

ADJUST_TEMPLATE = "admin/loyalty/adjust_points.html"


@admin.register(EarningRule)
class EarningRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "points_per_unit", "is_active", "version", "updated_at")
    list_filter = ("kind", "is_active")
    readonly_fields = ("version", "updated_at")
    fieldsets = [(None, {
        "fields": ("name", "kind", "points_per_unit", "is_active", "audience", "version",
                   "updated_at"),
        "description": gettext_lazy(
            "Points are counted on the order total after discounts, times the points per "
            "currency unit, rounded down (€19.99 at 1 point per euro earns 19 points). Saving a "
            "change raises the version by one: points already earned keep the version that "
            "earned them, and the change only affects orders paid afterwards."),
    })]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "kind"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
            return
        updated = services.earning_rule_update(
            rule=obj, name=obj.name, points_per_unit=obj.points_per_unit,
            is_active=obj.is_active, audience=obj.audience,
        )
        obj.version = updated.version

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Reward)
class RewardAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "cost", "stock", "is_active", "available_from",
                    "available_until", "voucher_valid_days")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "sku", "description")
    fieldsets = [
        (None, {"fields": ("name", "description", "image", "cost", "is_active")}),
        (gettext_lazy("What the voucher gives"), {
            "fields": ("kind", "amount", "currency", "percent", "sku", "voucher_valid_days"),
            "description": gettext_lazy(
                "Fill in the amount and currency for a fixed amount off, the percent for a "
                "percentage off and the SKU for a free product."),
        }),
        (gettext_lazy("Availability"), {"fields": ("available_from", "available_until",
                                                   "stock", "audience")}),
    ]


class LedgerFormSet(NewestFormSet):
    related = ("staff", "order", "redemption")


class PointsEntryInline(ReadOnlyInline):
    model = PointsEntry
    formset = LedgerFormSet
    fields = ("created_at", "kind", "amount", "held", "reason", "staff", "order", "redemption",
              "key")
    readonly_fields = fields
    ordering = ("-created_at", "-id")
    verbose_name_plural = gettext_lazy("ledger (newest first)")


class AdjustPointsForm(forms.Form):
    amount = forms.IntegerField(
        label=gettext_lazy("Points"),
        help_text=gettext_lazy("Positive to add points, negative to take them away."),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Required. Kept on the ledger entry with your name."),
    )

    def clean_amount(self):
        if not self.cleaned_data["amount"]:
            raise forms.ValidationError(_("Adjust by a number of points other than zero."))
        return self.cleaned_data["amount"]


@admin.register(LoyaltyAccount)
class LoyaltyAccountAdmin(admin.ModelAdmin):
    list_display = ("customer", "balance", "pending", "created_at")
    search_fields = ("customer__email", "customer__first_name", "customer__last_name")
    readonly_fields = ("customer", "balance", "pending", "created_at")
    inlines = [PointsEntryInline]
    actions = ["adjust_points"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=gettext_lazy("Adjust points"), permissions=["change"])
    def adjust_points(self, request, queryset):
        form = AdjustPointsForm(request.POST if request.POST.get("apply") else None)
        if not form.is_valid():
            return TemplateResponse(request, ADJUST_TEMPLATE, {
                **self.admin_site.each_context(request),
                "title": _("Adjust points"), "opts": self.model._meta, "form": form,
                "queryset": queryset, "action_checkbox_name": ACTION_CHECKBOX_NAME,
                "media": self.media + form.media,
            })
        done = 0
        for account in queryset.select_related("customer").order_by("pk"):
            try:
                services.points_adjust(account=account, by=request.user,
                                       **form.cleaned_data)
                done += 1
            except FlywheelError as error:
                self.message_user(request, f"{account}: {error.message}", messages.ERROR)
        if done:
            self.message_user(request, ngettext(
                "Adjusted %(n)d account.", "Adjusted %(n)d accounts.", done) % {"n": done},
                messages.SUCCESS)
        return None


@admin.register(Redemption)
class RedemptionAdmin(admin.ModelAdmin):
    list_display = ("code", "account", "reward", "points", "status", "expires_at", "used_at",
                    "created_at")
    list_filter = ("status", "reward")
    search_fields = ("code", "account__customer__email", "order_reference")
    list_select_related = ("account__customer", "reward")
    readonly_fields = ("account", "reward", "points", "code", "status", "client_key",
                       "expires_at", "used_at", "order_reference", "cancelled_at", "created_at")
    actions = ["cancel_vouchers"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=gettext_lazy("Cancel vouchers and give the points back"),
                  permissions=["change"])
    def cancel_vouchers(self, request, queryset):
        cancellable = list(queryset.filter(status=Redemption.Status.ISSUED))
        if not action_confirmed(request):
            return confirm_action(
                request, self, queryset, objects=cancellable, action="cancel_vouchers",
                title=_("Cancel vouchers?"),
                question=_("Cancel these vouchers? Their points go back to the customers "
                           "and their stock back to the rewards."),
                note=_("Used or already cancelled vouchers are left as they are."),
                button=_("Yes, cancel them"),
            )
        done = 0
        for redemption in cancellable:
            try:
                services.voucher_cancel(redemption=redemption)
                done += 1
            except FlywheelError as error:
                self.message_user(request, f"{redemption}: {error.message}", messages.ERROR)
        self.message_user(request, ngettext(
            "Cancelled %(n)d voucher.", "Cancelled %(n)d vouchers.", done) % {"n": done},
            messages.SUCCESS)
        return None
