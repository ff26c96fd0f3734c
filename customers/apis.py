"""The API the shop's systems use: order events in, webhooks in, profiles out."""


from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from customers import selectors, services
from customers.errors import BadSignature
from customers.ingestion import woocommerce
from customers.ingestion.events import body_too_large
from customers.ingestion.generic import OrderEventSerializer
from customers.ingestion.platforms import PARSERS
from customers.models import Customer, WebhookDelivery
from kernel.api import ErrorSerializer, IdempotencyKeyParameter
from kernel.fields import (
    StrictBooleanField,
    StrictCharField,
    StrictEmailField,
    StrictSlugField,
)
from kernel.pagination import LimitOffsetPagination

RECENT_ACTIVITY = 20
KEPT_HEADERS = ("content-type", "user-agent", "idempotency-key", "x-shopify-", "x-wc-webhook-")


def _kept_headers(request) -> dict:
    """The headers worth keeping with a delivery: never credentials."""
    return {
        name: value for name, value in request.headers.items()
        if name.lower().startswith(KEPT_HEADERS) and "signature" not in name.lower()
        and "hmac" not in name.lower()
    }


def delivery_answer(delivery: WebhookDelivery) -> Response:
    """What the delivery was answered when it arrived; a replay gets the same."""
    if delivery.response_status >= 400:
        return Response(delivery.response_body, status=delivery.response_status)
    outcome = "accepted" if delivery.response_status == status.HTTP_202_ACCEPTED else "ignored"
    return Response({"status": outcome, "delivery_id": delivery.pk},
                    status=delivery.response_status)


AcceptedSerializer = inline_serializer("Accepted", {
    "status": serializers.CharField(), "delivery_id": serializers.IntegerField(),
})


class OrderEventApi(APIView):
    @extend_schema(
        operation_id="order_event_create",
        summary="Send an order event",
        description="Store the event and apply it in the background. Send the whole order on "
        "every change; an older `updated_at` never overwrites a newer one. With an "
        "`Idempotency-Key` header, a retry with the same body gets the same answer and the "
        "same key with a different body gets a 422.",
        request=OrderEventSerializer,
        parameters=[OpenApiParameter(
            "Idempotency-Key", IdempotencyKeyParameter, OpenApiParameter.HEADER,
            description="At most 128 characters; a longer key is a 400.")],
        responses={202: AcceptedSerializer, 200: AcceptedSerializer,
                   400: ErrorSerializer, 413: ErrorSerializer, 415: ErrorSerializer,
                   422: ErrorSerializer},
        tags=["orders"],
    )
    def post(self, request):
        body, unread_size = _body(request)
        delivery = services.delivery_receive(
            source="generic", topic="orders", headers=_kept_headers(request), body=body,
            content_type=request.content_type,
            event_id=request.headers.get("Idempotency-Key", ""), unread_size=unread_size,
        )
        return delivery_answer(delivery)


def _body(request) -> tuple[bytes, int | None]:
    """(the raw body, None), or (b"", its size) for one too large for Django to read."""
    try:
        return request.body, None
    except RequestDataTooBig:
        return b"", int(request.META.get("CONTENT_LENGTH") or 0)


class _WebhookApi(APIView):
    """A platform's webhook: signature checked over the raw body, then stored and queued."""

    authentication_classes = []
    permission_classes = [AllowAny]
    source = ""
    secret_setting = ""

    @extend_schema(exclude=True)
    def post(self, request):
        platform = PARSERS[self.source]
        body, unread_size = _body(request)
        if unread_size is not None:  # too large to check its signature: not kept
            raise body_too_large(unread_size)
        secret = getattr(settings, self.secret_setting)
        if not secret or not platform.verify(request.headers, body, secret):
            raise BadSignature(_("The webhook signature does not match."))
        delivery = services.delivery_receive(
            source=self.source, topic=platform.topic(request.headers, body),
            headers=_kept_headers(request), body=body,
            content_type=request.content_type,
            event_id=platform.event_id(request.headers, body),
        )
        return delivery_answer(delivery)


class ShopifyWebhookApi(_WebhookApi):
    source = "shopify"
    secret_setting = "SHOPIFY_WEBHOOK_SECRET"


class WooCommerceWebhookApi(_WebhookApi):
    source = "woocommerce"
    secret_setting = "WOOCOMMERCE_WEBHOOK_SECRET"

    @extend_schema(exclude=True)
    def post(self, request):
        # WooCommerce's activation ping carries no signature; it must get a 200 for the
        # webhook to turn on. It changes nothing, so it is answered and not stored.
        body, unread_size = _body(request)
        if unread_size is None and woocommerce.is_ping(body):
            return Response({"status": "ignored"})
        return super().post(request)


class RfmOutput(serializers.Serializer):
    recency = serializers.IntegerField(allow_null=True, help_text=_(
        "1-5 by quintile of days since the last order (5: the most recent fifth); equal "
        "values get equal scores."))
    frequency = serializers.IntegerField(allow_null=True, help_text=_(
        "1-5 by quintile of the number of orders: the same number of orders, the same score."))
    monetary = serializers.IntegerField(allow_null=True, help_text=_(
        "1-5 by quintile of net revenue."))
    segment = serializers.CharField(help_text=_(
        "The named RFM segment (champions, loyal, at_risk, ...), from recency and frequency; "
        "empty for a customer without orders."))


class ScoreOutput(serializers.Serializer):
    """A customer's lifecycle stage, RFM scores and value, as of the last computation."""

    stage = serializers.CharField(help_text=_(
        "prospect, first_time, repeat, loyal, at_risk, lapsed or won_back."))
    stage_since = serializers.DateTimeField()
    rfm = RfmOutput()
    orders = serializers.IntegerField(help_text=_("Paid, uncancelled orders."))
    clv_historical = serializers.DecimalField(max_digits=14, decimal_places=2, help_text=_(
        "Net revenue so far: paid orders less refunds."))
    p_alive = serializers.FloatField(allow_null=True, help_text=_(
        "Probability (0-1) that the customer still buys here, from the value model (BG/NBD). "
        "Null for a single order, which the model can't judge, and when the rules predict."))
    expected_orders_90d = serializers.FloatField(allow_null=True, help_text=_(
        "Orders the value model expects in the next 90 days; null when the rules predict."))
    expected_orders_365d = serializers.FloatField(allow_null=True, help_text=_(
        "Orders the value model expects in the next 365 days; null when the rules predict."))
    expected_order_value = serializers.DecimalField(
        max_digits=14, decimal_places=2, allow_null=True, help_text=_(
            "The value the model expects of each future order (Gamma-Gamma)."))
    clv_predicted = serializers.DecimalField(max_digits=14, decimal_places=2, help_text=_(
        "What the customer will spend over the CLV horizon (admin → Segment settings; 3 "
        "years by default): with the value model, discounted expected spend; with the "
        "rules, average order value x orders per year x the horizon."))
    currency = serializers.CharField(help_text=_("The shop currency (SHOP_CURRENCY)."))
    predicted_by = serializers.ChoiceField(choices=["model", "rules"], allow_null=True, help_text=_(
        "model: the value model fitted to the shop's orders; rules: the shop has too "
        "little history for it (or it is turned off), see model_note; null: no order yet."))
    model_note = serializers.CharField(help_text=_(
        "Why the rules predict, e.g. \"Too little history: 120 customers have ordered; the "
        "model needs 200.\"; empty otherwise."))
    computed_at = serializers.DateTimeField(help_text=_(
        "When these figures were computed: the nightly recompute, or the customer's latest "
        "order."))


class CustomerOutput(serializers.ModelSerializer):
    external_ids = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = [
            "id", "email", "first_name", "last_name", "birthday", "locale", "language",
            "accepts_marketing", "marketing_consent_at", "marketing_consent_source",
            "orders_count", "total_spent", "first_order_at", "last_order_at", "created_at",
            "external_ids",
        ]

    def get_external_ids(self, customer) -> dict[str, str]:
        return {e.source: e.external_id for e in customer.external_ids.all()}


class CustomerDetailOutput(CustomerOutput):
    attributes = serializers.SerializerMethodField()
    recent_activity = serializers.SerializerMethodField()
    score = serializers.SerializerMethodField(help_text=_(
        "Stage, RFM scores and predicted value; null until the customer is first scored."))

    class Meta(CustomerOutput.Meta):
        fields = [*CustomerOutput.Meta.fields, "attributes", "recent_activity", "score"]

    @extend_schema_field(ScoreOutput(allow_null=True))
    def get_score(self, customer) -> dict | None:
        summary = selectors.customer_score_get(customer=customer)
        return None if summary is None else ScoreOutput(summary).data

    def get_attributes(self, customer) -> list[dict]:
        return [
            {"key": a.key, "value": a.value, "source_kind": a.source_kind,
             "source_id": a.source_id, "captured_at": a.captured_at}
            for a in selectors.attributes_latest(customer=customer).values()
        ]

    def get_recent_activity(self, customer) -> list[dict]:
        return [
            {"kind": a.kind, "occurred_at": a.occurred_at, "reference": a.reference,
             "data": a.data}
            for a in selectors.activity_timeline(customer=customer)[:RECENT_ACTIVITY]
        ]


class CustomerListApi(APIView):
    pagination_class = LimitOffsetPagination

    class FilterInput(serializers.Serializer):
        email = serializers.CharField(required=False, default="", allow_blank=True)
        external_id = serializers.CharField(required=False, default="", allow_blank=True)

    class UpsertInput(serializers.Serializer):
        email = StrictEmailField(required=False, default="")
        source = serializers.ChoiceField(choices=["shopify", "woocommerce", "generic"],
                                         required=False, default="generic")
        external_id = StrictCharField(max_length=64, required=False, default="")
        first_name = StrictCharField(max_length=150, required=False, default="")
        last_name = StrictCharField(max_length=150, required=False, default="")
        birthday = serializers.DateField(required=False, allow_null=True, default=None)
        locale = StrictCharField(max_length=16, required=False, default="")
        language = serializers.ChoiceField(
            choices=settings.LANGUAGES, required=False, default="",
            help_text=_("The language to write to the customer in; when left out, the one "
                        "`locale` names if Flywheel offers it."))
        accepts_marketing = StrictBooleanField(required=False, allow_null=True,
                                                     default=None)
        attributes = serializers.DictField(
            child=StrictCharField(max_length=255), required=False, default=dict,
            help_text=_("Zero-party answers to record, e.g. {\"skin_type\": \"oily\"}."),
        )

        def validate(self, attrs):
            if not attrs["email"] and not attrs["external_id"]:
                raise serializers.ValidationError(_("Give an email, an external_id or both."))
            return attrs

    @extend_schema(parameters=[FilterInput], responses=CustomerOutput(many=True),
                   operation_id="customers_list", tags=["customers"])
    def get(self, request):
        filters = self.FilterInput(data=request.query_params)
        filters.is_valid(raise_exception=True)
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(
            selectors.customer_list(**filters.validated_data).prefetch_related("external_ids"),
            request, view=self,
        )
        return paginator.get_paginated_response(CustomerOutput(page, many=True).data)

    @extend_schema(request=UpsertInput, responses={200: CustomerDetailOutput},
                   operation_id="customers_upsert", tags=["customers"],
                   summary="Create or update a customer by email or external id")
    def post(self, request):
        data = self.UpsertInput(data=request.data)
        data.is_valid(raise_exception=True)
        customer = services.customer_upsert_with_attributes(**data.validated_data)
        return Response(CustomerDetailOutput(customer).data)


class CustomerDetailApi(APIView):
    @extend_schema(responses=CustomerDetailOutput, operation_id="customers_retrieve",
                   tags=["customers"])
    def get(self, request, customer_id: int):
        return Response(CustomerDetailOutput(selectors.customer_get(customer_id=customer_id)).data)

    @extend_schema(responses={204: None}, operation_id="customers_erase", tags=["customers"],
                   summary="Erase the customer's personal data",
                   description="Anonymises the profile and removes answers, identities and "
                   "the login. Orders stay, without personal data, so totals still add up.")
    def delete(self, request, customer_id: int):
        services.customer_erase(customer=selectors.customer_get(customer_id=customer_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class CustomerExportApi(APIView):
    @extend_schema(responses=OpenApiResponse(description="Everything held about the customer."),
                   operation_id="customers_export", tags=["customers"])
    def get(self, request, customer_id: int):
        customer = selectors.customer_get(customer_id=customer_id)
        return Response(selectors.customer_export(customer=customer))


class CustomerActivityCreateApi(APIView):
    """A custom activity the shop records for a customer (a review written, a social follow);
    loyalty's activity rules award its points."""

    class ActivityInput(serializers.Serializer):
        kind = StrictSlugField(
            max_length=48, help_text=_("A custom kind, e.g. review_written or social_follow."))
        idempotency_key = StrictCharField(
            max_length=150, help_text=_("Unique per activity; a retry with the same key "
                                        "records nothing new."))
        occurred_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
        reference = StrictCharField(max_length=128, required=False, default="",
                                          allow_blank=True)
        data = serializers.DictField(required=False, default=dict)

    class ActivityOutput(serializers.Serializer):
        id = serializers.IntegerField()
        customer_id = serializers.IntegerField()
        kind = serializers.CharField()
        occurred_at = serializers.DateTimeField()
        reference = serializers.CharField()
        data = serializers.DictField()

    @extend_schema(
        request=ActivityInput,
        responses={201: ActivityOutput, 200: ActivityOutput, 400: ErrorSerializer,
                   404: ErrorSerializer, 409: ErrorSerializer},
        operation_id="customer_activity_create", tags=["customers"],
        summary="Record a custom activity",
        description="201 when recorded, 200 with the first activity when the idempotency key "
        "was already used for the same customer and kind, 409 `idempotency_key_reused` when "
        "it was used for another. Built-in kinds are refused (400 "
        "`reserved_activity_kind`).",
    )
    def post(self, request, customer_id: int):
        customer = selectors.customer_get(customer_id=customer_id)
        data = self.ActivityInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        activity, created = services.activity_post(
            customer=customer, kind=values["kind"], key=values["idempotency_key"],
            occurred_at=values["occurred_at"], reference=values["reference"],
            data=values["data"],
        )
        return Response(self.ActivityOutput(activity).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
