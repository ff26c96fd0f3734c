"""Admin for segments: custom segments with live counts and CSV export, the overview page (RFM
grid, stage flow, CLV distribution, win-back rate, the value model with its backtest and
calibration), settings, the value model's fits, and outbound webhooks."""

import csv
import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from customers.models import (
    CustomerScore,
    OutboundAttempt,
    OutboundDelivery,
    OutboundEvent,
    Segment,
    SegmentRule,
    SegmentSettings,
    ValueModelFit,
    WebhookSubscription,
)
from customers.segments import selectors
from customers.segments.services.webhooks import outbound_delivery_resend
from kernel.admin import (
    DONE,
    FAILED,
    WAITING,
    NoAdd,
    NoChange,
    ReadOnlyAdmin,
    ReadOnlyInline,
    SingletonAdmin,
    action_confirmed,
    coloured_status,
    confirm_action,
)

CSV_FIELDS = ("id", "email", "first_name", "last_name", "stage", "rfm_segment", "loyalty_tier",
              "nps_category", "orders_count", "total_spent", "last_order_at",
              "accepts_marketing")


class _Echo:
    def write(self, value):
        return value


def segment_csv_response(segment: Segment) -> StreamingHttpResponse:
    """The segment's members as CSV, streamed so a big segment doesn't fill memory."""
    rows = (selectors.segment_customers(segment=segment).order_by("pk")
            .values_list("pk", "email", "first_name", "last_name", "score__stage",
                         "score__rfm_segment", "loyalty_tier", "nps_category", "orders_count",
                         "total_spent", "last_order_at", "accepts_marketing")
            .iterator(chunk_size=2000))
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(CSV_FIELDS)
        for row in rows:
            yield writer.writerow(["" if v is None else v for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    filename = f"segment-{slugify(segment.name) or segment.pk}-{timezone.now():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class SegmentRuleForm(forms.ModelForm):
    class Meta:
        model = SegmentRule
        fields = ("field", "attribute_key", "operator", "value")

    def clean(self):
        data = super().clean()
        if data.get("field") == SegmentRule.Field.ATTRIBUTE and not data.get("attribute_key"):
            self.add_error("attribute_key", _("Name the answer, e.g. skin_type."))
        if data.get("field") and data.get("operator"):
            try:
                selectors.rule_value_parse(field=data["field"], operator=data["operator"],
                                           value=data.get("value", ""))
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        self.add_error(field, error)
        return data


class SegmentRuleInline(admin.TabularInline):
    model = SegmentRule
    form = SegmentRuleForm
    extra = 1


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    """Saved audiences built from profile rules; counted live, exported as CSV, used as the
    audience of earning rules and rewards."""

    list_display = ("name", "match", "rules_summary", "members", "export_link")
    search_fields = ("name", "description")
    inlines = (SegmentRuleInline,)
    fields = ("name", "description", "match", "members", "export_link")
    readonly_fields = ("members", "export_link")
    actions = ("export_csv",)
    change_list_template = "admin/customers/segment/change_list.html"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("rules")

    @admin.display(description=gettext_lazy("rules"))
    def rules_summary(self, segment):
        joiner = _(" and ") if segment.match == Segment.Match.ALL else _(" or ")
        return joiner.join(str(rule) for rule in segment.rules.all()) or _("everyone")

    @admin.display(description=gettext_lazy("customers now"))
    def members(self, segment):
        if segment.pk is None:
            return "–"
        try:
            count = selectors.segment_count(segment=segment)
        except ValidationError:
            return _("a rule is invalid")
        url = reverse("admin:customers_customer_changelist") + "?" + urlencode(
            {"segment": segment.pk})
        return format_html('<a href="{}">{}</a>', url, count)

    @admin.display(description=gettext_lazy("export"))
    def export_link(self, segment):
        if segment.pk is None:
            return "–"
        url = reverse("admin:customers_segment_export", args=[segment.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download CSV"))

    def get_urls(self):
        return [
            path("overview/", self.admin_site.admin_view(self.overview_view),
                 name="customers_segment_overview"),
            path("<int:segment_id>/export/", self.admin_site.admin_view(self.export_view),
                 name="customers_segment_export"),
            *super().get_urls(),
        ]

    def export_view(self, request, segment_id: int):
        if not self.has_view_permission(request):
            return redirect("admin:index")
        return segment_csv_response(get_object_or_404(Segment, pk=segment_id))

    @admin.action(description=gettext_lazy("Export members of the selected segment as CSV"))
    def export_csv(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Choose exactly one segment to export."),
                              messages.WARNING)
            return None
        return segment_csv_response(queryset.get())

    def overview_view(self, request):
        now = timezone.now()
        context = {
            **self.admin_site.each_context(request),
            "title": _("Segments overview"),
            "opts": self.model._meta,
            "grid": selectors.rfm_grid(),
            "stages": selectors.stage_counts(),
            "flow": selectors.stage_flow(since=now - dt.timedelta(days=30)),
            "clv": selectors.clv_distribution(),
            "winback": selectors.winback_rate(now=now),
            "value": self._value_model(selectors.value_model_latest()),
            "fits_url": reverse("admin:customers_valuemodelfit_changelist"),
            "scored": CustomerScore.objects.count(),
            "last_as_of": CustomerScore.objects.order_by("-as_of")
            .values_list("as_of", flat=True).first(),
            "customer_changelist": reverse("admin:customers_customer_changelist"),
        }
        return TemplateResponse(request, "admin/customers/segment/overview.html", context)

    @staticmethod
    def _value_model(fit: ValueModelFit | None) -> dict:
        overview = selectors.value_model_overview(fit=fit)
        backtest = overview["backtest"]
        if backtest:
            backtest["error_chart"] = grouped_bar_chart(
                [_("Spend")], [(row["label"], SERIES_COLOURS[row["key"]], [row["spend"]])
                               for row in backtest["rows"]])
            groups = backtest["groups"]
            labels = [f"{g['repeat_orders']}{'+' if g['or_more'] else ''}" for g in groups]
            backtest["calibration_chart"] = grouped_bar_chart(labels, [
                (_("Real"), SERIES_COLOURS["actual"], [g["actual"] for g in groups]),
                (_("Value model"), SERIES_COLOURS["model"], [g["model"] for g in groups]),
                (_("Run rate (the rules)"), SERIES_COLOURS["run_rate"],
                 [g["run_rate"] for g in groups]),
            ])
        return overview


CHART_HEIGHT = 150
BAR_WIDTH = 11
GROUP_GAP = 12
CHART_LEFT = 48
SERIES_COLOURS = {"actual": "#6b7280", "model": "#4f46e5", "same_for_everyone": "#0d9488",
                  "run_rate": "#c2410c"}


def grouped_bar_chart(labels: list[str], series: list[tuple[str, str, list[float]]]) -> dict:
    """Geometry of a server-rendered SVG chart of grouped bars: for each label, one bar per
    series (name, colour, one value per label), with a legend."""
    top = max((v for _name, _colour, values in series for v in values), default=0) or 1
    group_width = len(series) * BAR_WIDTH + GROUP_GAP
    groups = []
    for index, label in enumerate(labels):
        left = CHART_LEFT + index * group_width
        bars = []
        for position, (name, colour, values) in enumerate(series):
            height = round(values[index] / top * CHART_HEIGHT)
            bars.append({"name": name, "colour": colour, "value": values[index],
                         "x": left + position * BAR_WIDTH, "y": 10 + CHART_HEIGHT - height,
                         "height": height, "width": BAR_WIDTH - 2})
        groups.append({"label": label, "bars": bars,
                       "mid": left + (group_width - GROUP_GAP) / 2})
    return {"groups": groups, "legend": [{"name": n, "colour": c} for n, c, _v in series],
            "width": CHART_LEFT + len(labels) * group_width, "height": CHART_HEIGHT + 34,
            "axis": 10 + CHART_HEIGHT, "top": top}


@admin.register(SegmentSettings)
class SegmentSettingsAdmin(SingletonAdmin):
    fieldsets = (
        (gettext_lazy("Lifecycle stages"), {
            "fields": ("at_risk_days", "min_expected_gap_days", "lapsed_days", "loyal_orders",
                       "vip_tiers"),
            "description": gettext_lazy(
                "Stages, first match wins: prospect (no order), lapsed, at risk, won back (was "
                "at risk or lapsed and ordered since, until the next order), loyal, repeat, "
                "first-time. Changes apply at the next recompute (nightly, or `manage.py "
                "recompute_segments`) and to each customer as their next order arrives."),
        }),
        (gettext_lazy("Customer lifetime value and the value model"), {
            "fields": ("value_model_enabled", "clv_horizon_years", "clv_discount_rate",
                       "at_risk_below_p_alive", "lapsed_below_p_alive", "backtest_weeks"),
            "description": gettext_lazy(
                "At each recompute a buy-till-you-die model is fitted to the shop's own orders: "
                "BG/NBD for how often each customer orders and the probability that they "
                "are still a customer (P(alive)), Gamma-Gamma for what their orders are "
                "worth. It needs at least 200 customers with orders, 50 of them with repeat "
                "orders, and orders going back 180 days; until then the rules predict and "
                "Segments → Overview says why. Segments → Overview also shows how well it "
                "predicted the last weeks of orders."),
        }),
    )


@admin.register(ValueModelFit)
class ValueModelFitAdmin(ReadOnlyAdmin):
    """The value model as fitted at each recompute: its parameters (or why there were none),
    so staff can see it drift as the shop changes."""

    list_display = ("as_of", "status", "buyers", "repeat_buyers", "sample", "r", "alpha", "a",
                    "b", "p", "q", "gamma", "backtest_error", "seconds")
    list_filter = ("status",)
    date_hierarchy = "as_of"
    fields = ("as_of", "status", "why", "buyers", "repeat_buyers", "sample",
              ("r", "alpha", "a", "b"), ("p", "q", "gamma"), "seconds", "backtest")
    readonly_fields = ("why",)

    @admin.display(description=gettext_lazy("why the rules predict"))
    def why(self, fit):
        return selectors.value_model_message(fit) or "–"

    @admin.display(description=gettext_lazy("backtest error (spend, model / run rate)"))
    def backtest_error(self, fit):
        spend = (fit.backtest or {}).get("mae", {}).get("spend")
        if not spend:
            return "–"
        return f"{spend['model']:.2f} / {spend['run_rate']:.2f}"


# Outbound webhooks


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(label=gettext_lazy("URL"), max_length=500, assume_scheme="https",
                         help_text=gettext_lazy("HTTPS endpoint that receives a JSON POST per "
                                                "event."))
    events = forms.MultipleChoiceField(
        label=gettext_lazy("events"), choices=OutboundEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Each chosen event is POSTed as JSON, signed with the secret."),
    )

    class Meta:
        model = WebhookSubscription
        fields = ("name", "url", "secret", "events", "is_active")
        widgets = {"secret": forms.PasswordInput(render_value=True)}


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = WebhookSubscriptionForm
    list_display = ("name", "url", "event_list", "is_active", "delivered", "failed")
    list_filter = ("is_active",)
    search_fields = ("name", "url")
    readonly_fields = ("signature_help",)
    fields = ("name", "url", "secret", "events", "is_active", "signature_help")

    @admin.display(description=gettext_lazy("events"))
    def event_list(self, subscription):
        return ", ".join(subscription.events or [])

    @admin.display(description=gettext_lazy("delivered"))
    def delivered(self, subscription):
        return subscription.deliveries.filter(status=OutboundDelivery.Status.DELIVERED).count()

    @admin.display(description=gettext_lazy("failed"))
    def failed(self, subscription):
        return subscription.deliveries.filter(status=OutboundDelivery.Status.FAILED).count()

    @admin.display(description=gettext_lazy("how receivers check a delivery"))
    def signature_help(self, subscription):
        return _("Each POST has a Flywheel-Signature header 't=<unix time>,v1=<hex>', where "
                 "hex is HMAC-SHA256 of '<unix time>.<raw body>' with the secret. Compare in "
                 "constant time and refuse times more than 5 minutes old. Flywheel-Event names "
                 "the event; the body's id is the same on every retry.")


class OutboundAttemptInline(ReadOnlyInline):
    model = OutboundAttempt
    fields = ("attempted_at", "response_status", "duration_ms", "error", "response_body")
    readonly_fields = fields


OUTBOUND_MEANING = {
    OutboundDelivery.Status.PENDING: WAITING,
    OutboundDelivery.Status.DELIVERED: DONE,
    OutboundDelivery.Status.FAILED: FAILED,
}


@admin.register(OutboundDelivery)
class OutboundDeliveryAdmin(NoAdd, NoChange, admin.ModelAdmin):
    """Every outbound webhook and each of its attempts; failed ones can be sent again."""

    list_display = ("created_at", "event", "subscription", "customer", "status_badge",
                    "attempts", "response_status", "next_attempt_at")
    list_filter = ("status", "event", "subscription")
    list_select_related = ("subscription", "customer")
    search_fields = ("key", "customer__email", "error")
    date_hierarchy = "created_at"
    inlines = (OutboundAttemptInline,)
    readonly_fields = ("subscription", "event", "key", "customer", "status_badge", "attempts",
                       "response_status", "error", "payload", "created_at", "next_attempt_at",
                       "delivered_at")
    fields = readonly_fields
    actions = ("resend_failed",)

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_badge(self, delivery):
        return coloured_status(delivery.get_status_display(), OUTBOUND_MEANING.get(delivery.status))

    @admin.action(description=gettext_lazy("Send selected failed deliveries again"))
    def resend_failed(self, request, queryset):
        failed = [d for d in queryset if d.status == OutboundDelivery.Status.FAILED]
        if not action_confirmed(request):
            return confirm_action(
                request, self, queryset, objects=failed, action="resend_failed",
                title=_("Send failed deliveries again?"),
                question=_("Send these failed deliveries again, with a fresh round of "
                           "retries?"),
                note=_("Deliveries that have not failed are skipped."),
                button=_("Yes, send them again"),
            )
        for delivery in failed:
            outbound_delivery_resend(delivery=delivery)
        self.message_user(request, ngettext(
            "%(n)d delivery queued again.", "%(n)d deliveries queued again.", len(failed))
            % {"n": len(failed)}, messages.SUCCESS)
        return None
