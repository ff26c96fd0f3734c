"""The loyalty API: balances, ledgers, rewards, redemptions and vouchers, for the shop's systems
(API key) and for the signed-in shopper under /me/ (session with CSRF)."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.models import Customer
from customers.selectors import customer_get
from kernel.api import ErrorSerializer, IdempotencyKeyParameter, ShopperApi, idempotency_key
from kernel.errors import NotFound
from kernel.fields import StrictCharField
from kernel.models import ID_MAX
from kernel.pagination import LimitOffsetPagination
from loyalty import selectors, services
from loyalty.errors import VoucherNotFound
from loyalty.models import Reward

TAGS = ["loyalty"]


class SummaryOutput(serializers.Serializer):
    class Expiring(serializers.Serializer):
        points = serializers.IntegerField()
        expires_at = serializers.DateTimeField()

    class TierOutput(serializers.Serializer):
        id = serializers.IntegerField()
        name = serializers.CharField()
        position = serializers.IntegerField()
        threshold = serializers.DecimalField(max_digits=14, decimal_places=2)
        colour = serializers.CharField()
        badge_url = serializers.CharField()
        perks = serializers.CharField()
        earn_multiplier = serializers.DecimalField(max_digits=4, decimal_places=2)

    class Progress(serializers.Serializer):
        metric = serializers.CharField(help_text="points, spent or orders")
        period = serializers.CharField(help_text="lifetime, calendar_year or rolling_12_months")
        current = serializers.DecimalField(max_digits=14, decimal_places=2)
        target = serializers.DecimalField(max_digits=14, decimal_places=2)
        remaining = serializers.DecimalField(max_digits=14, decimal_places=2)
        percent = serializers.IntegerField()
        deadline = serializers.DateField(allow_null=True)
        text = serializers.CharField(help_text="e.g. Spend €40 more by 31 December to reach "
                                               "Gold.")

    balance = serializers.IntegerField()
    pending = serializers.IntegerField()
    expiring_soon = Expiring(many=True)
    tier = TierOutput(allow_null=True)
    next_tier = TierOutput(allow_null=True)
    progress = Progress(allow_null=True)


class EntryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    amount = serializers.IntegerField()
    kind = serializers.CharField()
    held = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    reason = serializers.SerializerMethodField()
    reference = serializers.SerializerMethodField()

    def get_reason(self, entry) -> str:
        """Staff's words as written; Flywheel's own in the request's language."""
        return self.context["reasons"][entry.pk]

    def get_reference(self, entry) -> str:
        if entry.redemption_id:
            return entry.redemption.code
        if entry.order_id:
            return entry.order.name or entry.order.external_id
        return ""


class RedemptionInput(serializers.Serializer):
    reward_id = serializers.IntegerField(min_value=1, max_value=ID_MAX)
    key = StrictCharField(
        max_length=200, required=False, default="",
        help_text=_("Optional: a retry with the same key returns the same voucher."),
    )


class RedemptionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    status = serializers.CharField()
    points = serializers.IntegerField()
    reward_id = serializers.IntegerField()
    expires_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()


def _summary(customer: Customer) -> Response:
    return Response(SummaryOutput(selectors.loyalty_summary_get(customer=customer)).data)


def _entries(view, request, customer: Customer) -> Response:
    paginator = LimitOffsetPagination()
    page = paginator.paginate_queryset(
        selectors.points_entry_list(customer=customer), request, view=view)
    reasons = selectors.points_entry_reasons(page)
    return paginator.get_paginated_response(
        EntryOutput(page, many=True, context={"reasons": reasons}).data)


def _redeem(request, customer: Customer) -> Response:
    data = RedemptionInput(data=request.data)
    data.is_valid(raise_exception=True)
    reward = Reward.objects.filter(pk=data.validated_data["reward_id"]).first()
    if reward is None:
        raise NotFound(_("No reward has this id."), code="reward_not_found",
                       fields={"reward_id": _("No reward has this id.")})
    redemption = services.redemption_create(
        customer=customer, reward=reward,
        key=data.validated_data["key"] or idempotency_key(request),
    )
    return Response(RedemptionOutput(redemption).data, status=status.HTTP_201_CREATED)


_REDEEM_SCHEMA = {
    "request": RedemptionInput,
    "responses": {201: RedemptionOutput, 400: ErrorSerializer, 404: ErrorSerializer,
                  409: ErrorSerializer},
    "parameters": [OpenApiParameter(
        "Idempotency-Key", IdempotencyKeyParameter, OpenApiParameter.HEADER,
        description="At most 128 characters; a longer key is a 400.")],
    "description": "Spend the reward's cost and issue a voucher. Not enough points is a 409 "
    "`insufficient_points`; an unavailable or sold-out reward is a 409 `reward_unavailable` or "
    "`reward_out_of_stock`.",
    "tags": TAGS,
}


class CustomerLoyaltyApi(APIView):
    @extend_schema(responses=SummaryOutput, operation_id="customer_loyalty_retrieve", tags=TAGS)
    def get(self, request, customer_id: int):
        return _summary(customer_get(customer_id=customer_id))


class CustomerLoyaltyEntriesApi(APIView):
    pagination_class = LimitOffsetPagination

    @extend_schema(responses=EntryOutput(many=True), operation_id="customer_loyalty_entries",
                   tags=TAGS)
    def get(self, request, customer_id: int):
        return _entries(self, request, customer_get(customer_id=customer_id))


class CustomerRedemptionCreateApi(APIView):
    @extend_schema(operation_id="customer_redemption_create", **_REDEEM_SCHEMA)
    def post(self, request, customer_id: int):
        return _redeem(request, customer_get(customer_id=customer_id))


class RewardListApi(APIView):
    pagination_class = LimitOffsetPagination

    @extend_schema_serializer(component_name="Reward")
    class Output(serializers.ModelSerializer):
        min_tier = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True,
                                                help_text="VIP early access: the lowest tier "
                                                          "that may redeem it, or null.")

        class Meta:
            model = Reward
            fields = ["id", "name", "description", "kind", "amount", "currency", "percent",
                      "sku", "cost", "stock", "available_until", "image", "min_tier"]

    @extend_schema(responses=Output(many=True), operation_id="rewards_list", tags=TAGS,
                   summary="Rewards that can be redeemed now")
    def get(self, request):
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(
            selectors.reward_list_available().select_related("min_tier"), request, view=self)
        return paginator.get_paginated_response(
            self.Output(page, many=True, context={"request": request}).data)


class VoucherOutput(serializers.Serializer):
    code = serializers.CharField()
    status = serializers.SerializerMethodField()
    valid = serializers.SerializerMethodField()
    reward = serializers.SerializerMethodField()
    expires_at = serializers.DateTimeField()
    used_at = serializers.DateTimeField(allow_null=True)
    order_reference = serializers.CharField()

    def get_status(self, redemption) -> str:
        return redemption.current_status()

    def get_valid(self, redemption) -> bool:
        return redemption.current_status() == redemption.Status.ISSUED

    def get_reward(self, redemption) -> dict:
        reward = redemption.reward
        return {"name": reward.name, "kind": reward.kind,
                "amount": str(reward.amount) if reward.amount is not None else None,
                "currency": reward.currency, "percent": reward.percent, "sku": reward.sku}


class VoucherDetailApi(APIView):
    throttle_scope = "voucher_checks"

    @extend_schema(responses={200: VoucherOutput, 404: ErrorSerializer},
                   operation_id="voucher_retrieve", tags=TAGS,
                   summary="Check a voucher code at checkout")
    def get(self, request, code: str):
        redemption = selectors.voucher_get(code=code)
        if redemption is None:
            raise VoucherNotFound(_("No voucher has this code."))
        return Response(VoucherOutput(redemption).data)


class VoucherUseApi(APIView):
    throttle_scope = "voucher_checks"

    class Input(serializers.Serializer):
        order_reference = StrictCharField(max_length=200, required=False, default="")

    @extend_schema(request=Input, responses={200: VoucherOutput, 404: ErrorSerializer,
                                             409: ErrorSerializer},
                   operation_id="voucher_use", tags=TAGS,
                   summary="Mark a voucher used (idempotent)",
                   description="Using a used voucher again answers 200 with the first use. An "
                   "expired or cancelled voucher is a 409 `voucher_expired` or "
                   "`voucher_cancelled`.")
    def post(self, request, code: str):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        redemption = services.voucher_use(code=code, **data.validated_data)
        return Response(VoucherOutput(redemption).data)


class MeLoyaltyApi(ShopperApi):
    @extend_schema(responses=SummaryOutput, operation_id="me_loyalty_retrieve", tags=TAGS)
    def get(self, request):
        return _summary(self.shopper(request))


class MeLoyaltyEntriesApi(ShopperApi):
    pagination_class = LimitOffsetPagination

    @extend_schema(responses=EntryOutput(many=True), operation_id="me_loyalty_entries",
                   tags=TAGS)
    def get(self, request):
        return _entries(self, request, self.shopper(request))


class MeRedemptionCreateApi(ShopperApi):
    @extend_schema(operation_id="me_redemption_create", **_REDEEM_SCHEMA)
    def post(self, request):
        return _redeem(request, self.shopper(request))
