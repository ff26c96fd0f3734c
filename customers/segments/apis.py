"""The segments API the shop's systems read: segments with live counts, and their members."""

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.views import APIView

from customers import selectors
from customers.models import Customer, Segment
from customers.pagination import LimitOffsetPagination
from kernel.errors import FlywheelError


def _count(segment: Segment) -> int | None:
    try:
        return selectors.segment_count(segment=segment)
    except ValidationError:
        return None


class SegmentListApi(APIView):
    pagination_class = LimitOffsetPagination

    @extend_schema_serializer(component_name="Segment")
    class Output(serializers.ModelSerializer):
        rules = serializers.SerializerMethodField()
        customer_count = serializers.SerializerMethodField(
            help_text="Customers matching the rules now; null when a rule is invalid.")

        class Meta:
            model = Segment
            fields = ["id", "name", "description", "match", "rules", "customer_count",
                      "updated_at"]

        def get_rules(self, segment) -> list[dict]:
            return [{"field": r.field, "attribute_key": r.attribute_key,
                     "operator": r.operator, "value": r.value} for r in segment.rules.all()]

        def get_customer_count(self, segment) -> int | None:
            return _count(segment)

    @extend_schema(responses=Output(many=True), operation_id="segments_list", tags=["segments"],
                   summary="List custom segments with their live member counts")
    def get(self, request):
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(selectors.segment_list(), request, view=self)
        return paginator.get_paginated_response(self.Output(page, many=True).data)


class SegmentCustomersApi(APIView):
    pagination_class = LimitOffsetPagination

    @extend_schema_serializer(component_name="SegmentMember")
    class Output(serializers.ModelSerializer):
        stage = serializers.CharField(source="score.stage", default="")
        rfm_segment = serializers.CharField(source="score.rfm_segment", default="")
        clv_predicted = serializers.DecimalField(source="score.clv_predicted", max_digits=14,
                                                 decimal_places=2, default=None)

        class Meta:
            model = Customer
            fields = ["id", "email", "first_name", "last_name", "accepts_marketing",
                      "orders_count", "total_spent", "last_order_at", "loyalty_tier",
                      "nps_category", "stage", "rfm_segment", "clv_predicted"]

    @extend_schema(responses=Output(many=True), operation_id="segments_customers",
                   tags=["segments"], summary="The customers in a segment now (paginated)")
    def get(self, request, segment_id: int):
        segment = selectors.segment_get(segment_id=segment_id)
        try:
            members = selectors.segment_customers(segment=segment)
            paginator = LimitOffsetPagination()
            page = paginator.paginate_queryset(
                members.select_related("score").order_by("pk"), request, view=self)
        except ValidationError as exc:
            raise FlywheelError(str(exc.messages[0]), code="invalid_segment") from exc
        return paginator.get_paginated_response(self.Output(page, many=True).data)
