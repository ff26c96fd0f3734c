"""Earning rules in admin: saved through the versioning services, with a preview of a change
against what the rule actually awarded."""

from django import forms
from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kernel.admin import NoDelete
from kernel.admin_translations import TranslatedAdmin

from . import services
from .models import EarningRule
from .previews import earning_rule_preview
from .services.rules import RULE_FIELDS, WORDING_FIELDS

PREVIEW_TEMPLATE = "admin/loyalty/earningrule/preview.html"
PREVIEW_DAYS = 30


class EarningRuleForm(forms.ModelForm):
    preview_days = forms.IntegerField(
        label=gettext_lazy("preview over the last (days)"), min_value=1, max_value=366,
        initial=PREVIEW_DAYS, required=False,
        help_text=gettext_lazy("Press Preview to see what the rule as edited would have "
                               "awarded over these days, beside what it did award."),
    )

    class Meta:
        model = EarningRule
        fields = ["name", "kind", "activity_kind", "is_active", "points_per_unit", "points",
                  "multiplier", "starts_at", "ends_at", "min_order_total", "tiers", "audience",
                  "cap_count", "cap_period"]
        widgets = {"tiers": forms.CheckboxSelectMultiple}


@admin.register(EarningRule)
class EarningRuleAdmin(NoDelete, TranslatedAdmin):
    form = EarningRuleForm
    change_form_template = "admin/loyalty/earningrule/change_form.html"
    list_display = ("name", "kind", "activity_kind", "earns", "window", "tier_list", "cap",
                    "is_active", "version", "updated_at")
    list_filter = ("kind", "is_active", "tiers")
    search_fields = ("name", "activity_kind")
    readonly_fields = ("version", "updated_at")
    fieldsets = [
        (None, {
            "fields": ("name", "kind", "activity_kind", "is_active", "version", "updated_at"),
            "description": gettext_lazy(
                "Of the active rules that apply to an order (or an activity), the one that "
                "earns the most wins; the points are posted once. Saving a change raises the "
                "version by one: points already earned keep the version that earned them, "
                "and the change only affects what happens afterwards."),
        }),
        (gettext_lazy("Points"), {
            "fields": ("points_per_unit", "points", "multiplier"),
            "description": gettext_lazy(
                "Order rules: points per currency unit of the order total after discounts; "
                "refunds later take points back in proportion. Activity rules: fixed points. "
                "Both are multiplied by the multiplier and by the customer's tier multiplier, "
                "then rounded down (€19.99 at 1 point per euro earns 19 points; with a 1.5 "
                "tier multiplier, 29)."),
        }),
        (gettext_lazy("Conditions"), {
            "fields": ("starts_at", "ends_at", "min_order_total", "tiers", "audience",
                       "cap_count", "cap_period"),
            "description": gettext_lazy(
                "A campaign such as a double-points weekend is a second rule with a window "
                "and a multiplier of 2: while it applies it earns more, so it wins."),
        }),
        (gettext_lazy("Preview"), {"fields": ("preview_days",)}),
    ]

    @admin.display(description=gettext_lazy("earns"))
    def earns(self, rule):
        if rule.kind == EarningRule.Kind.ORDER:
            text = _("%(points)s per unit") % {"points": rule.points_per_unit.normalize()}
        else:
            text = _("%(points)s points") % {"points": rule.points}
        if rule.multiplier != 1:
            text += f" × {rule.multiplier.normalize()}"
        return text

    @admin.display(description=gettext_lazy("window"))
    def window(self, rule):
        if not rule.starts_at and not rule.ends_at:
            return _("always")
        start = f"{rule.starts_at:%Y-%m-%d %H:%M}" if rule.starts_at else "…"
        end = f"{rule.ends_at:%Y-%m-%d %H:%M}" if rule.ends_at else "…"
        return f"{start} – {end}"

    @admin.display(description=gettext_lazy("tiers"))
    def tier_list(self, rule):
        return ", ".join(tier.name for tier in rule.tiers.all()) or _("everyone")

    @admin.display(description=gettext_lazy("cap"))
    def cap(self, rule):
        if not rule.cap_count:
            return _("none")
        return f"{rule.cap_count} {rule.get_cap_period_display()}"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("tiers")

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "kind"] if obj else self.readonly_fields

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and "_preview" in request.POST:
            response = self._preview(request, object_id)
            if response is not None:
                return response
        return super().changeform_view(request, object_id, form_url, extra_context)

    def _preview(self, request, object_id):
        """The comparison page, or None to show the form with its errors."""
        obj = self.get_object(request, object_id) if object_id else None
        if object_id and obj is None:
            return None
        current = self.get_object(request, object_id) if obj else None
        form = self.get_form(request, obj, change=obj is not None)(request.POST, instance=obj)
        if not form.is_valid():
            return None
        changed = form.save(commit=False)
        days = form.cleaned_data.get("preview_days") or PREVIEW_DAYS
        preview = earning_rule_preview(
            rule=changed, tier_ids={tier.pk for tier in form.cleaned_data["tiers"]}, days=days)
        kept = [(name, value) for name, values in request.POST.lists()
                for value in values if name not in ("csrfmiddlewaretoken", "_preview")]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Preview: %(rule)s") % {"rule": changed.name},
            "opts": self.model._meta,
            "original": current,
            "rule": changed,
            "preview": preview,
            "kept": kept,
            "media": self.media,
        }
        return TemplateResponse(request, PREVIEW_TEMPLATE, context)

    def save_model(self, request, obj, form, change):
        # The wording per language, not `name`: that is the admin's language's, fallback and all.
        fields = {name: getattr(obj, name) for name in (*RULE_FIELDS, *WORDING_FIELDS)
                  if name != "name"}
        tiers = list(form.cleaned_data.get("tiers") or [])
        if change:
            rule = services.earning_rule_update(rule=obj, tiers=tiers, **fields)
        else:
            rule = services.earning_rule_create(kind=obj.kind, tiers=tiers, **fields)
        obj.pk, obj.version = rule.pk, rule.version

    def save_related(self, request, form, formsets, change):
        """The tiers were saved with the rule by the service, within its version."""
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)
