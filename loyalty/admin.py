"""Staff tools for the loyalty program. Every change goes through loyalty.services."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Count
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from kernel.admin import (
    NewestFormSet,
    NoAdd,
    NoDelete,
    ReadOnlyAdmin,
    ReadOnlyInline,
    SingletonAdmin,
    action_confirmed,
    apply_each,
    confirm_action,
    form_action,
)
from kernel.admin_translations import TranslatedAdmin
from kernel.errors import FlywheelError

from . import selectors, services
from .models import (
    LoyaltyAccount,
    LoyaltyProgram,
    PointsEntry,
    Redemption,
    Reward,
    Tier,
    TierChange,
)

ADJUST_TEMPLATE = "admin/loyalty/adjust_points.html"


from . import admin_rules  # noqa: E402, F401  (the earning rules admin, with its preview)


@admin.register(Reward)
class RewardAdmin(TranslatedAdmin):
    list_display = ("name", "kind", "cost", "stock", "is_active", "available_from",
                    "available_until", "voucher_valid_days")
    list_filter = ("kind", "is_active", "min_tier", "audience")
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
                                                   "stock", "min_tier", "audience")}),
    ]


class LedgerFormSet(NewestFormSet):
    related = ("staff", "order", "redemption")

    def get_queryset(self):
        newest = super().get_queryset()
        if not hasattr(self, "_worded"):  # every row's reason at once: one query for the tiers
            reasons = selectors.points_entry_reasons(newest)
            for entry in newest:
                entry.reason_in_words = reasons[entry.pk]
            self._worded = True
        return newest


class PointsEntryInline(ReadOnlyInline):
    model = PointsEntry
    formset = LedgerFormSet
    fields = ("created_at", "kind", "amount", "held", "reason_worded", "staff", "order",
              "redemption", "key")
    readonly_fields = fields
    ordering = ("-created_at", "-id")
    verbose_name_plural = gettext_lazy("ledger (newest first)")

    @admin.display(description=gettext_lazy("reason"))
    def reason_worded(self, entry):
        return entry.reason_in_words  # set by LedgerFormSet


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


class TierChangeInline(ReadOnlyInline):
    model = TierChange
    fk_name = "account"
    fields = ("created_at", "from_name", "to_name", "reason", "note", "staff",
              "qualifying_value")
    readonly_fields = fields
    ordering = ("-created_at", "-id")
    verbose_name_plural = gettext_lazy("tier history (newest first)")


class LoyaltyAccountForm(forms.ModelForm):
    manual_reason = forms.CharField(
        label=gettext_lazy("Why (manual tier)"), required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Required when you set or change the manual tier; kept with "
                               "your name in the tier history."),
    )

    class Meta:
        model = LoyaltyAccount
        fields = ("manual_tier", "manual_tier_until")

    def clean(self):
        data = super().clean()
        changed = {"manual_tier", "manual_tier_until"} & set(self.changed_data)
        if changed and data.get("manual_tier") and not data.get("manual_reason", "").strip():
            self.add_error("manual_reason", _("Say why the tier is set by hand."))
        until = data.get("manual_tier_until")
        if data.get("manual_tier") and not until:
            self.add_error("manual_tier_until", _("A manual tier needs an end date."))
        elif changed and data.get("manual_tier") and until <= timezone.now():
            self.add_error("manual_tier_until", _("Give an end date in the future."))
        return data


@admin.register(LoyaltyAccount)
class LoyaltyAccountAdmin(NoAdd, NoDelete, admin.ModelAdmin):
    form = LoyaltyAccountForm
    list_display = ("customer", "balance", "pending", "tier", "manual_tier",
                    "manual_tier_until", "created_at")
    list_filter = ("tier", ("manual_tier", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("customer", "tier", "manual_tier")
    search_fields = ("customer__email", "customer__first_name", "customer__last_name")
    readonly_fields = ("customer", "balance", "pending", "tier", "tier_since",
                       "tier_kept_until", "created_at")
    fieldsets = [
        (None, {"fields": ("customer", "balance", "pending", "created_at")}),
        (gettext_lazy("Tier"), {
            "fields": ("tier", "tier_since", "tier_kept_until", "manual_tier",
                       "manual_tier_until", "manual_reason"),
            "description": gettext_lazy(
                "A manual tier is a floor: the customer is never below it until its end date "
                "and still moves up if they qualify for more. Setting one above their tier "
                "moves them now. Removing it keeps their tier until the next re-evaluation."),
        }),
    ]
    inlines = [TierChangeInline, PointsEntryInline]
    actions = ["adjust_points"]

    def save_model(self, request, obj, form, change):
        if not {"manual_tier", "manual_tier_until"} & set(form.changed_data):
            return
        try:
            services.tier_set_manual(
                account=obj, tier=form.cleaned_data["manual_tier"],
                until=form.cleaned_data["manual_tier_until"], by=request.user,
                reason=form.cleaned_data["manual_reason"] or _("Manual tier removed"),
            )
        except FlywheelError as error:
            self.message_user(request, f"{error.message} {' '.join(error.fields.values())}",
                              messages.ERROR)

    @admin.action(description=gettext_lazy("Adjust points"), permissions=["change"])
    def adjust_points(self, request, queryset):
        return form_action(
            request, self, queryset.select_related("customer"), form_class=AdjustPointsForm,
            template=ADJUST_TEMPLATE, action="adjust_points", title=_("Adjust points"),
            button=_("Adjust points"),
            apply=lambda account, data: services.points_adjust(account=account,
                                                               by=request.user, **data),
            done_message=lambda n: ngettext(
                "Adjusted %(n)d account.", "Adjusted %(n)d accounts.", n) % {"n": n})


@admin.register(Redemption)
class RedemptionAdmin(NoAdd, NoDelete, admin.ModelAdmin):
    list_display = ("code", "account", "reward", "points", "status", "expires_at", "used_at",
                    "created_at")
    list_filter = ("status", "reward")
    search_fields = ("code", "account__customer__email", "order_reference")
    list_select_related = ("account__customer", "reward")
    readonly_fields = ("account", "reward", "points", "code", "status", "client_key",
                       "expires_at", "used_at", "order_reference", "cancelled_at", "created_at")
    actions = ["cancel_vouchers"]

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
        done = apply_each(request, self, cancellable,
                          lambda redemption: services.voucher_cancel(redemption=redemption))
        self.message_user(request, ngettext(
            "Cancelled %(n)d voucher.", "Cancelled %(n)d vouchers.", done) % {"n": done},
            messages.SUCCESS)
        return None


TIER_RULES = gettext_lazy(
    "Customers qualify by the program's metric over its period (see Loyalty program "
    "settings); the threshold is in that unit: points, amount spent or orders. A higher "
    "position needs a higher threshold. Customers move up as soon as they cross a threshold "
    "and down only at the re-evaluation at period end, once their retention period has "
    "passed. Tiers stay editable while the program is live: renaming a tier, moving a "
    "threshold or adding a tier recalculates members in the background and never moves "
    "anyone down before the next re-evaluation; removing a tier moves its members to the "
    "best remaining tier they qualify for, never below the tier under it. Entry points and "
    "the entry reward are given once per customer, the first time they reach the tier.")


class TierForm(forms.ModelForm):
    # A plain file field, so our Pillow pipeline gives the error rather than Django's.
    badge = forms.FileField(
        label=gettext_lazy("badge image"), required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp,"
                                                         "image/gif"}),
    )

    class Meta:
        model = Tier
        fields = ("name", "position", "threshold", "colour", "badge", "perks",
                  "earn_multiplier", "entry_points", "entry_reward")
        widgets = {"colour": forms.TextInput(attrs={"type": "color"})}

    def clean_badge(self):
        badge = self.cleaned_data.get("badge")
        if isinstance(badge, UploadedFile):
            try:
                return services.tier_badge_clean(
                    file=badge, name=self.cleaned_data.get("name_en") or badge.name)
            except FlywheelError as error:
                raise ValidationError(error.message) from error
        return badge


def _badge(tier: Tier, size: int = 32):
    if tier.badge:
        return format_html('<img src="{}" alt="" width="{}" height="{}" '
                           'style="object-fit:contain;vertical-align:middle">',
                           tier.badge.url, size, size)
    return format_html('<span aria-hidden="true" style="display:inline-block;width:{}px;'
                       'height:{}px;border-radius:50%;background:{};vertical-align:middle">'
                       '</span>', size, size, tier.colour)


@admin.register(Tier)
class TierAdmin(TranslatedAdmin):
    form = TierForm
    list_display = ("badge_preview", "name", "position", "threshold", "members",
                    "earn_multiplier", "entry_points", "entry_reward")
    list_display_links = ("badge_preview", "name")
    ordering = ("position",)
    readonly_fields = ("badge_preview_large", "members")
    fieldsets = [
        (None, {"fields": ("name", "position", "threshold", "members"),
                "description": TIER_RULES}),
        (gettext_lazy("Look"), {
            "fields": ("colour", "badge", "badge_preview_large"),
            "description": gettext_lazy("A badge is a JPEG, PNG, WebP or GIF image up to 2 MB; "
                                        "it is resized to fit 256×256 pixels."),
        }),
        (gettext_lazy("What members get"), {
            "fields": ("perks", "earn_multiplier", "entry_points", "entry_reward")}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("accounts"))

    @admin.display(description=gettext_lazy("badge"))
    def badge_preview(self, tier):
        return _badge(tier)

    @admin.display(description=gettext_lazy("badge preview"))
    def badge_preview_large(self, tier):
        return _badge(tier, 96) if tier.pk else "—"

    @admin.display(description=gettext_lazy("members"), ordering="member_count")
    def members(self, tier):
        if not tier.pk:
            return 0
        count = getattr(tier, "member_count", None)
        if count is None:
            count = tier.accounts.count()
        url = reverse("admin:loyalty_loyaltyaccount_changelist") + f"?tier__id__exact={tier.pk}"
        return format_html('<a href="{}">{}</a>', url, count)

    def save_model(self, request, obj, form, change):
        services.tier_save(tier=obj)
        if change:
            self.message_user(request, _("Members are being recalculated in the background; "
                                         "nobody moves down before the next re-evaluation."))

    def delete_model(self, request, obj):
        moved = services.tier_delete(tier=obj, by=request.user)
        self.message_user(request, ngettext(
            "%(n)d member moved to another tier.", "%(n)d members moved to another tier.",
            moved) % {"n": moved})

    def delete_queryset(self, request, queryset):
        for tier in queryset.order_by("position"):
            self.delete_model(request, tier)


@admin.register(LoyaltyProgram)
class LoyaltyProgramAdmin(SingletonAdmin):
    """The single settings row; the program page hangs off it."""

    fieldsets = [
        (gettext_lazy("Tiers"), {
            "fields": ("tier_metric", "tier_period", "tier_retention_days"),
            "description": TIER_RULES,
        }),
        (gettext_lazy("Expiry"), {"fields": ("expiry", "expiry_months",
                                             "expiry_reminder_days")}),
        (gettext_lazy("Value"), {"fields": ("point_value",)}),
        (gettext_lazy("Win-back"), {
            "fields": ("winback_reward", "winback_every_days"),
            "description": gettext_lazy(
                "A customer whose lifecycle stage becomes at risk gets this reward as a gift, by "
                "e-mail, if they accept marketing (within the contact budget)."),
        }),
    ]
    autocomplete_fields = ("winback_reward",)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if {"tier_metric", "tier_period"} & set(form.changed_data):
            services.tiers_recalculate_schedule()
            self.message_user(request, _("Members are being recalculated in the background; "
                                         "nobody moves down before the next re-evaluation."))

    def get_urls(self):
        return [path("report/", self.admin_site.admin_view(self.report_view),
                     name="loyalty_program_report"), *super().get_urls()]

    def report_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        report = selectors.program_report_get()
        months = report["months"]
        return TemplateResponse(request, "admin/loyalty/program_report.html", {
            **self.admin_site.each_context(request),
            "title": _("Loyalty program"), "opts": self.model._meta, "report": report,
            "members_chart": bar_chart(
                [(row["name"], row["count"], row["colour"]) for row in report["members"]]),
            "charts": [
                (_("Points issued per month"), bar_chart(
                    [(date_format(m["month"], "M y"), m["issued"], "#2563eb") for m in months])),
                (_("Points redeemed per month"), bar_chart(
                    [(date_format(m["month"], "M y"), m["redeemed"], "#16a34a") for m in months])),
                (_("Points expired per month"), bar_chart(
                    [(date_format(m["month"], "M y"), m["expired"], "#dc2626") for m in months])),
            ],
        })


CHART_HEIGHT = 160
BAR_WIDTH = 36
BAR_GAP = 12


def bar_chart(rows: list[tuple[str, int, str]]) -> dict:
    """Geometry of a server-rendered SVG bar chart: one bar per (label, value, colour)."""
    top = max((value for _label, value, _colour in rows), default=0) or 1
    bars = []
    for index, (label, value, colour) in enumerate(rows):
        height = round(value / top * CHART_HEIGHT)
        x = index * (BAR_WIDTH + BAR_GAP)
        bars.append({"label": label, "value": value, "colour": colour, "x": x,
                     "y": 20 + CHART_HEIGHT - height, "height": height, "width": BAR_WIDTH,
                     "mid": x + BAR_WIDTH / 2})
    return {"bars": bars, "width": max(len(rows) * (BAR_WIDTH + BAR_GAP), 1),
            "height": CHART_HEIGHT + 40, "axis": 20 + CHART_HEIGHT}


@admin.register(TierChange)
class TierChangeAdmin(ReadOnlyAdmin):
    """Every tier move, read-only: who moved, from and to, why, and which staff member."""

    list_display = ("created_at", "account", "from_name", "to_name", "is_up", "reason",
                    "staff", "qualifying_value")
    list_filter = ("reason", "is_up", "to_tier")
    search_fields = ("account__customer__email", "from_name", "to_name", "note")
    list_select_related = ("account__customer", "staff")
    date_hierarchy = "created_at"
