"""What the customer admin shows of segments: the score inline and the segment filter."""

from django.contrib import admin
from django.utils.translation import gettext_lazy

from customers.models import CustomerScore, Segment
from customers.selectors_segments import segment_q
from kernel.admin import NoAdd, NoChange


class CustomerScoreInline(NoAdd, NoChange, admin.StackedInline):
    """Shown on the customer: stage, RFM and CLV with the inputs they came from."""

    model = CustomerScore
    can_delete = False
    extra = 0
    verbose_name_plural = gettext_lazy("segments, RFM and lifetime value")
    fields = (("stage", "stage_since"), ("rfm_segment", "r_score", "f_score", "m_score"),
              ("orders", "recency_days", "median_gap_days", "expected_gap_days"),
              ("net_revenue", "average_order_value", "orders_per_year", "clv_predicted"),
              "as_of")
    readonly_fields = ("stage", "stage_since", "rfm_segment", "r_score", "f_score", "m_score",
                       "orders", "recency_days", "median_gap_days", "expected_gap_days",
                       "net_revenue", "average_order_value", "orders_per_year",
                       "clv_predicted", "as_of")


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
