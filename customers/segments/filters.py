"""What the customer admin shows of segments: the score inline and the segment filter."""

from django.conf import settings
from django.contrib import admin
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import CustomerScore, Segment
from customers.segments.selectors import segment_q
from kernel.admin import NoAdd, NoChange


def _amount(value) -> str:
    if value is None:
        return "–"
    return f"{number_format(value, decimal_pos=2, force_grouping=True)} {settings.SHOP_CURRENCY}"


class CustomerScoreInline(NoAdd, NoChange, admin.StackedInline):
    """Shown on the customer: stage, RFM and CLV with the inputs they came from, and what
    the value model predicts, worded for people."""

    model = CustomerScore
    can_delete = False
    extra = 0
    verbose_name_plural = gettext_lazy("segments, RFM and lifetime value")
    fields = (("stage", "stage_since"), ("rfm_segment", "r_score", "f_score", "m_score"),
              ("orders", "recency_days", "median_gap", "at_risk_after"),
              ("historical_clv", "average_order_value", "per_year"),
              ("chance_still_a_customer", "expected_orders", "next_order_value"),
              ("predicted_clv", "as_of"))
    readonly_fields = ("stage", "stage_since", "rfm_segment", "r_score", "f_score", "m_score",
                       "orders", "recency_days", "median_gap", "at_risk_after",
                       "historical_clv", "average_order_value", "per_year",
                       "chance_still_a_customer", "expected_orders", "next_order_value",
                       "predicted_clv", "as_of")

    @admin.display(description=gettext_lazy("median days between orders"))
    def median_gap(self, score):
        return "–" if score.median_gap_days is None else number_format(score.median_gap_days, 1)

    @admin.display(description=gettext_lazy("at risk after (days)"))
    def at_risk_after(self, score):
        if score.expected_gap_days is None:
            return "–"
        days = number_format(score.expected_gap_days, 1)
        if score.p_alive is not None:  # the value model decides for repeat customers
            return _("%(days)s by the day rule; the value model decides") % {"days": days}
        return days

    @admin.display(description=gettext_lazy("orders per year"))
    def per_year(self, score):
        return number_format(score.orders_per_year, 2)

    @admin.display(description=gettext_lazy("historical CLV (net revenue)"))
    def historical_clv(self, score):
        return _amount(score.net_revenue)

    @admin.display(description=gettext_lazy("still a customer"))
    def chance_still_a_customer(self, score):
        if score.p_alive is None:
            return (_("not judged: a single order") if score.orders == 1
                    and score.expected_orders_365d is not None else "–")
        return _("%(percent)s %% likely") % {"percent": number_format(score.p_alive * 100, 0)}

    @admin.display(description=gettext_lazy("expected orders"))
    def expected_orders(self, score):
        if score.expected_orders_365d is None:
            return "–"
        return _("%(soon)s in the next 90 days, %(year)s in the next 365") % {
            "soon": number_format(score.expected_orders_90d, 2),
            "year": number_format(score.expected_orders_365d, 2)}

    @admin.display(description=gettext_lazy("expected order value"))
    def next_order_value(self, score):
        return _amount(score.expected_order_value)

    @admin.display(description=gettext_lazy("predicted CLV"))
    def predicted_clv(self, score):
        how = (_("value model: expected orders x expected order value, discounted")
               if score.expected_orders_365d is not None
               else _("rules: average order value x orders per year x horizon"))
        return format_html("{} <small>({})</small>", _amount(score.clv_predicted), how)


class SegmentFilter(admin.SimpleListFilter):
    title = gettext_lazy("custom segment")
    parameter_name = "segment"

    def lookups(self, request, model_admin):
        return [(str(pk), name) for pk, name in Segment.objects.values_list("pk", "name")]

    def queryset(self, request, queryset):
        if not self.value() or not self.value().isdigit():
            return queryset
        segment = Segment.objects.filter(pk=self.value()).first()
        if segment is None:
            return queryset.none()
        return queryset.filter(segment_q(segment))
