"""The NPS API: answers from headless storefronts (the link's token is the credential), the
summary for the shop's systems, and a shopper's own answers."""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from kernel.api import ErrorSerializer, ShopperApi
from kernel.errors import FlywheelError
from kernel.fields import StrictCharField
from kernel.pagination import LimitOffsetPagination

from . import selectors, services
from .models import NpsResponse, NpsSurvey

TAGS = ["nps"]
DEFAULT_PERIOD_DAYS = 90


@extend_schema_serializer(component_name="NpsResponse")
class ResponseOutput(serializers.ModelSerializer):
    follow_up_question = serializers.SerializerMethodField()

    class Meta:
        model = NpsResponse
        fields = ["id", "score", "category", "comment", "channel", "answered_at",
                  "commented_at", "follow_up_question"]

    def get_follow_up_question(self, response) -> str:
        return self.context["survey"].follow_up_question(response.category)


@extend_schema_field({"type": "integer", "minimum": 0, "maximum": 10, "nullable": True})
class ScoreField(serializers.JSONField):
    """A score as sent: anything but a whole number is the service's `invalid_score`."""


class NpsResponseCreateApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_scope = "nps_answers"

    @extend_schema_serializer(component_name="NpsAnswer")
    class Input(serializers.Serializer):
        token = StrictCharField(max_length=1000)
        score = ScoreField(required=False, allow_null=True)
        comment = StrictCharField(required=False, allow_blank=True, trim_whitespace=False)

    @extend_schema(
        request=Input, responses={201: ResponseOutput, 200: ResponseOutput,
                                  400: ErrorSerializer, 404: ErrorSerializer,
                                  409: ErrorSerializer, 410: ErrorSerializer},
        operation_id="nps_response_create", tags=TAGS, auth=[],
        summary="Answer an NPS survey with a link's token (headless storefronts)",
        description="The token is the one in the survey email's link; no API key is needed. "
        "Send the score (0-10; optional when the link carries one, and then it must match) and "
        "optionally the comment (at most 2000 characters): together, or the score first and the "
        "comment in a second call. 201 records the answer; 200 when it was already recorded and "
        "this call changes nothing or adds the comment. Errors: `invalid_token` (404), "
        "`token_expired` (410), `invalid_score`, `score_mismatch`, `comment_too_long` (400), "
        "`already_answered` (409).",
    )
    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        score = data.validated_data.get("score")
        if score is not None and (isinstance(score, bool) or not isinstance(score, int)):
            score = -1  # not a whole number: the service answers invalid_score
        response, created = services.nps_answer_submit(
            token=data.validated_data["token"], score=score,
            comment=data.validated_data.get("comment"),
        )
        return Response(ResponseOutput(response, context={"survey": NpsSurvey.get()}).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


# Days a summary may start or end on: wide enough for any shop's history, narrow enough that
# the day after `to` still exists.
EARLIEST_DAY, LATEST_DAY = dt.date(1970, 1, 1), dt.date(2999, 12, 31)


# The form of `from` and `to` in the schema.
DAY = {"type": "string", "format": "date",
       "pattern": r"^(19[7-9][0-9]|2[0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"}


def _date_param(request, name: str) -> dt.date | None:
    value = request.query_params.get(name)
    if value is None:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise FlywheelError(_("Dates are YYYY-MM-DD."),
                            fields={name: _("Use the form YYYY-MM-DD.")}) from None
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise FlywheelError(_("Dates are between 1970-01-01 and 2999-12-31."),
                            fields={name: _("Choose a day from 1970 to 2999.")})
    return day


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def summary_period(request) -> tuple[dt.date, dt.date]:
    """The `from`/`to` query parameters (inclusive days, UTC); the last 90 days by default."""
    today = timezone.now().date()
    end = _date_param(request, "to") or today
    start = _date_param(request, "from") or end - dt.timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    if start > end:
        raise FlywheelError(_("The period starts after it ends."),
                            fields={"from": _("Choose a day on or before 'to'.")})
    return start, end


class NpsSummaryApi(APIView):
    @extend_schema_serializer(component_name="NpsSummary")
    class Output(serializers.Serializer):
        period = serializers.DictField(child=serializers.DateField())
        nps = serializers.IntegerField(allow_null=True)
        responses = serializers.IntegerField()
        promoters = serializers.IntegerField()
        passives = serializers.IntegerField()
        detractors = serializers.IntegerField()
        invitations = serializers.IntegerField()
        answered_invitations = serializers.IntegerField()
        response_rate = serializers.IntegerField(allow_null=True,
                                                 help_text="Percent of invitations answered.")
        open_follow_ups = serializers.IntegerField()
        by_tier = serializers.ListField(child=serializers.DictField())

    @extend_schema(
        responses={200: Output, 400: ErrorSerializer}, operation_id="nps_summary", tags=TAGS,
        summary="NPS for a period",
        description="NPS (% promoters minus % detractors, -100 to 100; null without answers) "
        "for answers given from `from` to `to` (inclusive days, UTC; the last 90 days by "
        "default), the counts, by tier, and the response rate of the invitations sent then.",
        parameters=[OpenApiParameter(name, DAY, description="YYYY-MM-DD, from 1970 to 2999")
                    for name in ("from", "to")],
    )
    def get(self, request):
        start, end = summary_period(request)
        window = {"start": _day_start(start), "end": _day_start(end + dt.timedelta(days=1))}
        summary = selectors.nps_summary(**window)
        by_tier = [{"tier": row["tier"], "nps": row["counts"].nps,
                    "responses": row["counts"].total}
                   for row in selectors.nps_by_tier(**window)]
        return Response(self.Output({**summary, "period": {"from": start, "to": end},
                                     "by_tier": by_tier}).data)


class MeNpsResponsesApi(ShopperApi):
    pagination_class = LimitOffsetPagination

    @extend_schema(responses=ResponseOutput(many=True), operation_id="me_nps_responses",
                   tags=TAGS, summary="The signed-in shopper's own survey answers")
    def get(self, request):
        customer = self.shopper(request)
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(
            selectors.nps_responses_for_customer(customer=customer), request, view=self)
        return paginator.get_paginated_response(
            ResponseOutput(page, many=True, context={"survey": NpsSurvey.get()}).data)
