"""The quiz API for headless storefronts (API key): list the published quizzes, read one with
its questions, choices and branching, and answer it (all at once, or step by step) to get the
recommendations."""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.models import ID_MAX, Activity
from customers.selectors import activity_get_by_key
from kernel.api import ErrorSerializer
from kernel.fields import StrictBooleanField
from kernel.images import media_url
from loyalty.selectors import activity_points_earned, activity_points_preview
from quizzes import definition as qdef
from quizzes.models import QuizResponse
from quizzes.responses import services
from quizzes.responses.selectors import (
    quiz_definition_shown,
    quiz_version_latest,
    quiz_versions_latest,
    recommendations_shown,
    response_answers,
)

TAGS = ["quizzes"]


def _absolute(request, url: str) -> str:
    return request.build_absolute_uri(url) if url else ""


class QuizListApi(APIView):
    @extend_schema_serializer(component_name="QuizSummary")
    class Output(serializers.Serializer):
        slug = serializers.CharField()
        title = serializers.CharField()
        intro = serializers.CharField()
        version = serializers.IntegerField()
        question_count = serializers.IntegerField()
        url = serializers.CharField(help_text="The quiz's page on this service.")

    @extend_schema(responses=Output(many=True), operation_id="quizzes_list", tags=TAGS,
                   summary="Published quizzes")
    def get(self, request):
        rows = []
        for version in quiz_versions_latest():
            quiz = quiz_definition_shown(version)
            rows.append({
                "slug": version.quiz.slug, "title": quiz.title or version.quiz.title,
                "intro": quiz.intro, "version": version.number,
                "question_count": len(quiz.questions),
                "url": _absolute(request, f"/quizzes/{version.quiz.slug}/"),
            })
        return Response(self.Output(rows, many=True).data)


class QuizChoiceOutput(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    value = serializers.CharField()
    image = serializers.CharField(help_text="Absolute URL, or empty.")
    next = serializers.CharField(
        allow_null=True,
        help_text='Where this choice leads: a question key, "end", or null to follow the '
        "question's next.")


class QuizQuestionOutput(serializers.Serializer):
    key = serializers.CharField()
    text = serializers.CharField()
    help_text = serializers.CharField()
    kind = serializers.ChoiceField(choices=sorted(qdef.KINDS))
    required = serializers.BooleanField()
    attribute = serializers.CharField(help_text="The profile attribute the answer writes.")
    max_choices = serializers.IntegerField(allow_null=True)
    next = serializers.CharField(allow_null=True,
                                 help_text="The question that follows, or null for the end.")
    choices = QuizChoiceOutput(many=True)


def _question_data(request, question: qdef.QuestionDef) -> dict:
    return {
        "key": question.key, "text": question.text, "help_text": question.help_text,
        "kind": question.kind, "required": question.required,
        "attribute": question.attribute, "max_choices": question.max_choices,
        "next": question.next,
        "choices": [
            {"key": c.key, "label": c.label, "value": c.value,
             "image": _absolute(request, media_url(c.image)), "next": c.next}
            for c in question.choices
        ],
    }


class QuizDetailApi(APIView):
    @extend_schema_serializer(component_name="QuizDetail")
    class Output(serializers.Serializer):
        slug = serializers.CharField()
        version = serializers.IntegerField()
        title = serializers.CharField()
        intro = serializers.CharField()
        cover_image = serializers.CharField()
        results_heading = serializers.CharField()
        results_text = serializers.CharField()
        recommend_count = serializers.IntegerField()
        first_question = serializers.CharField(allow_null=True)
        questions = QuizQuestionOutput(many=True)

    @extend_schema(responses={200: Output, 404: ErrorSerializer}, operation_id="quiz_retrieve",
                   tags=TAGS, summary="A published quiz: questions, choices and branching")
    def get(self, request, slug: str):
        version = quiz_version_latest(slug=slug)
        quiz = quiz_definition_shown(version)
        return Response(self.Output({
            "slug": version.quiz.slug, "version": version.number, "title": quiz.title,
            "intro": quiz.intro, "cover_image": _absolute(request, media_url(quiz.cover_image)),
            "results_heading": quiz.results_heading, "results_text": quiz.results_text,
            "recommend_count": quiz.recommend_count, "first_question": quiz.first_question,
            "questions": [_question_data(request, q) for q in quiz.questions],
        }).data)


class QuizRecommendationOutput(serializers.Serializer):
    sku = serializers.CharField()
    name = serializers.CharField()
    url = serializers.CharField()
    price = serializers.DecimalField(max_digits=14, decimal_places=2)
    currency = serializers.CharField()
    image = serializers.CharField()
    score = serializers.IntegerField()
    reasons = serializers.ListField(child=serializers.CharField())


class QuizResponseOutput(serializers.Serializer):
    id = serializers.IntegerField()
    quiz = serializers.CharField()
    version = serializers.IntegerField()
    status = serializers.ChoiceField(choices=QuizResponse.Status.choices)
    customer_id = serializers.IntegerField(allow_null=True)
    next_question = serializers.CharField(
        allow_null=True, help_text="The question to answer next; null once completed.")
    answers = serializers.DictField(
        child=serializers.JSONField(),
        help_text="Answers so far: question key -> choice keys (choice questions) or value.")
    recommendations = QuizRecommendationOutput(many=True)
    points = serializers.IntegerField(
        help_text="Points the completion earned, or (not known yet / not completed) the points "
        "it would earn once the shopper is known.")
    points_earned = serializers.BooleanField()


class QuizResponseCreateApi(APIView):
    throttle_scope = "quiz_api"

    @extend_schema_serializer(component_name="QuizAnswers")
    class Input(serializers.Serializer):
        response = serializers.IntegerField(
            min_value=1, max_value=ID_MAX, required=False,
            help_text="Continue this response (step by step); omit to start.")
        answers = serializers.DictField(
            child=serializers.JSONField(), allow_empty=True,
            help_text="question key -> a choice key, a list of choice keys, an integer 1-5 "
            "(scale) or a string (text, email, birthday YYYY-MM-DD).")
        partial = StrictBooleanField(
            default=False, help_text="Save these answers and say what comes next, instead of "
            "requiring every answer up to the end. Implied when `response` is given.")
        marketing_consent = StrictBooleanField(
            default=False, help_text="The shopper ticked the marketing box of the email "
            "question (unticked by default).")
        customer_id = serializers.IntegerField(
            min_value=1, max_value=ID_MAX, required=False,
            help_text="The shop's signed-in customer, when known.")

    @extend_schema(
        request=Input,
        responses={200: QuizResponseOutput, 201: QuizResponseOutput, 400: ErrorSerializer,
                   404: ErrorSerializer, 409: ErrorSerializer},
        operation_id="quiz_response_create", tags=TAGS,
        summary="Answer a quiz and get recommendations",
        description=(
            "All at once: send every answer; the response is completed and the "
            "recommendations come back (201). Step by step: send `partial: true` with the "
            "first answers (201), then the next ones with `response` (200) until "
            "`next_question` is null. Errors name the question in `fields`: "
            "`unknown_question`, `unknown_choice`, `not_on_path` (not on the path the answers "
            "take), `answer_required`, `too_many_choices`, `invalid_scale`, `invalid_email`, "
            "`invalid_birthday`, `invalid_answer`; several problems at once are "
            "`invalid_answers`. A completed response is a 409 `response_completed`."),
        examples=[OpenApiExample("All at once", request_only=True, value={
            "answers": {"q1": "c2", "q3": ["c6"], "q4": "ada@example.com"},
            "marketing_consent": True})],
    )
    def post(self, request, slug: str):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        response, created = services.quiz_response_receive(
            slug=slug, raw_answers=values["answers"], partial=values["partial"],
            consent=values["marketing_consent"], response_id=values.get("response"),
            customer_id=values.get("customer_id"))
        # The answer is built in the output's types already (`_response_data`), without
        # running it through QuizResponseOutput, which documents it: that cost a completion
        # as much CPU as the rest of its answer.
        return Response(_response_data(request, response),
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


def _product_image(request, product) -> str:
    image = product.thumbnail or product.image
    return _absolute(request, image.url) if image else ""


_PRICE = QuizRecommendationOutput._declared_fields["price"]


def _response_data(request, response: QuizResponse) -> dict:
    """The response as QuizResponseOutput gives it (the decimal price as a string)."""
    completed = response.status == QuizResponse.Status.COMPLETED
    activity = (activity_get_by_key(key=services.completion_activity_key(response))
                if completed and response.customer_id else None)
    points = (activity_points_earned(activity=activity) if activity is not None
              else activity_points_preview(activity_kind=Activity.Kind.QUIZ_COMPLETED))
    return {
        "id": response.pk, "quiz": response.version.quiz.slug,
        "version": response.version.number, "status": response.status,
        "customer_id": response.customer_id,
        "next_question": response.current_question or None,
        "answers": {key: list(a.choice_keys) if a.choice_keys else a.value
                    for key, a in response_answers(response).items()},
        "recommendations": [
            {"sku": item.product.sku, "name": item.product.name, "url": item.product.url,
             "price": _PRICE.to_representation(item.product.price),
             "currency": item.product.currency, "image": _product_image(request, item.product),
             "score": int(item.score), "reasons": [str(reason) for reason in item.reasons]}
            for item in (recommendations_shown(response=response) if completed else [])
        ],
        "points": points, "points_earned": activity is not None,
    }

