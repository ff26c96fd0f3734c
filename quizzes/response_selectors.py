"""Reads for shoppers taking quizzes: the published quizzes, a response, its results."""

from dataclasses import dataclass

from django.db.models import Max, OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _

from customers.models import Customer
from quizzes import definition as qdef
from quizzes.errors import QuizNotFound, ResponseNotFound
from quizzes.models import Product, Quiz, QuizResponse, QuizVersion


def quiz_published_list() -> QuerySet[Quiz]:
    """Published quizzes that have a version, each annotated with `latest_number`."""
    return (Quiz.objects.filter(status=Quiz.Status.PUBLISHED, versions__isnull=False)
            .annotate(latest_number=Max("versions__number")).order_by("title"))


def quiz_version_latest(*, slug: str) -> QuizVersion:
    """The latest published version of the quiz with this slug (one query), or QuizNotFound."""
    latest = (QuizVersion.objects.filter(quiz=OuterRef("quiz")).order_by("-number")
              .values("pk")[:1])
    version = (QuizVersion.objects.select_related("quiz")
               .filter(quiz__slug=slug, quiz__status=Quiz.Status.PUBLISHED,
                       pk=Subquery(latest)).first())
    if version is None:
        raise QuizNotFound(_("There is no published quiz at this address."))
    return version


def quiz_versions_latest() -> list[QuizVersion]:
    """The latest version of every published quiz, by title (one query)."""
    latest = (QuizVersion.objects.filter(quiz=OuterRef("quiz")).order_by("-number")
              .values("pk")[:1])
    return list(QuizVersion.objects.select_related("quiz")
                .filter(quiz__status=Quiz.Status.PUBLISHED, pk=Subquery(latest))
                .order_by("quiz__title", "quiz__pk"))


def quiz_response_get(*, pk: int | None = None, token: str | None = None,
                      slug: str | None = None) -> QuizResponse:
    """A response by id or by its token (optionally of this quiz), or ResponseNotFound."""
    responses = QuizResponse.objects.select_related("version__quiz")
    if slug is not None:
        responses = responses.filter(version__quiz__slug=slug)
    if pk is not None:
        response = responses.filter(pk=pk).first()
    elif token:
        response = responses.filter(token=token).first()
    else:
        response = None
    if response is None:
        raise ResponseNotFound(_("There is no such quiz response."))
    return response


@dataclass(frozen=True, slots=True)
class ShownRecommendation:
    product: Product
    score: int
    reasons: tuple[str, ...]


def recommendations_shown(*, response: QuizResponse) -> list[ShownRecommendation]:
    """The response's recommendations with their products, best first (one query). Products
    removed from the catalog since are left out."""
    kept = response.recommendations or [{"sku": sku, "score": 0, "reasons": []}
                                        for sku in response.recommended_skus]
    products = Product.objects.in_bulk([item["sku"] for item in kept], field_name="sku")
    return [
        ShownRecommendation(product=products[item["sku"]], score=item["score"],
                            reasons=tuple(item["reasons"]))
        for item in kept if item["sku"] in products
    ]


def quiz_response_latest_completed(*, customer: Customer) -> QuizResponse | None:
    """The customer's most recently completed response, or None."""
    return (QuizResponse.objects.select_related("version__quiz")
            .filter(customer=customer, status=QuizResponse.Status.COMPLETED)
            .order_by("-completed_at", "-pk").first())


def response_path(*, response: QuizResponse, quiz: qdef.QuizDef) -> tuple[list[str], str | None]:
    """The questions the response answered on its path, and the one it is on."""
    return qdef.path_walk(quiz, response_answers(response))


def response_answers(response: QuizResponse) -> dict[str, qdef.Answer]:
    """The response's saved answers, as the definition helpers read them."""
    return {
        row.question_key: qdef.Answer(choice_keys=tuple(row.choice_keys), value=row.value)
        for row in response.answers.all()
    }
