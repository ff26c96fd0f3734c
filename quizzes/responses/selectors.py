"""Reads for shoppers taking quizzes: the published quizzes, a response, its results."""

from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.db.models import OuterRef, Q, Subquery
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from customers.models import Customer
from kernel.compiled import compiled_first
from quizzes import definition as qdef
from quizzes.catalogue.selectors import catalog_stamp
from quizzes.errors import QuizNotFound, ResponseNotFound
from quizzes.models import Product, Quiz, QuizResponse, QuizVersion


def quiz_version_latest(*, slug: str, with_catalog_stamp: bool = False) -> QuizVersion:
    """The latest published version of the quiz with this slug (one query), or QuizNotFound.
    Its definition is read when it is first asked for (`quiz_definition` keeps it parsed, so
    a process reads it once per version). `with_catalog_stamp` reads the catalog's
    fingerprint in the same query, as `version.catalog_stamp`, for completing a response."""
    def latest(slug: str):
        versions = (QuizVersion.objects.select_related("quiz").defer("definition")
                    .filter(quiz__slug=slug, quiz__status=Quiz.Status.PUBLISHED))
        if with_catalog_stamp:
            versions = versions.annotate(catalog_stamp=catalog_stamp())
        return versions.order_by("-number")

    # Compiled once per process: compiling it cost a completion more CPU than running it.
    version = compiled_first(f"quiz_version_latest:{with_catalog_stamp}", latest, slug)
    if version is None:
        raise QuizNotFound(_("There is no published quiz at this address."))
    return version


# Parsed definitions, kept per process by version id (and, in a shopper's language, by
# version id and language): a version is a frozen copy, so its definition never changes (a
# save or delete in this process forgets it all the same).
_definitions: dict[int, qdef.QuizDef] = {}
_localized: dict[tuple[int, str], qdef.QuizDef] = {}
DEFINITIONS_KEPT = 512


def fallback_languages(language: str) -> tuple[str, ...]:
    """Where a text blank in `language` is looked for: that language, then the shop's
    default, then English (MODELTRANSLATION_FALLBACK_LANGUAGES)."""
    return tuple(dict.fromkeys((language.lower(), *settings.MODELTRANSLATION_FALLBACK_LANGUAGES,
                                qdef.SOURCE_LANGUAGE)))


def quiz_definition(version: QuizVersion, *, language: str | None = None) -> qdef.QuizDef:
    """The version's definition, parsed once per process. With `language` (a shopper's:
    `get_language()`), its texts in that language, falling back text by text
    (`fallback_languages`); picked once per version and language from the parsed one.
    Without, the source texts, which answers and recommendations are worked out with."""
    if version.pk is None:
        parsed = qdef.definition_parse(version.definition)
        return qdef.quiz_localize(parsed, fallback_languages(language)) if language else parsed
    parsed = _definitions.get(version.pk)
    if parsed is None:
        parsed = qdef.definition_parse(version.definition)
        if len(_definitions) >= DEFINITIONS_KEPT:
            _definitions.clear()
            _localized.clear()
        _definitions[version.pk] = parsed
    if not language:
        return parsed
    localized = _localized.get((version.pk, language))
    if localized is None:
        localized = qdef.quiz_localize(parsed, fallback_languages(language))
        if len(_localized) >= DEFINITIONS_KEPT:
            _localized.clear()
        _localized[(version.pk, language)] = localized
    return localized


def quiz_definition_shown(version: QuizVersion) -> qdef.QuizDef:
    """The version's definition in the active language (the request's)."""
    return quiz_definition(version, language=get_language())


def quiz_definition_forget(*, version_id: int) -> None:
    _definitions.pop(version_id, None)
    for key in [key for key in _localized if key[0] == version_id]:
        del _localized[key]


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
    """The response's recommendations with their products, best first (one query, none
    for a response completed by this process's request, which keeps its products). Products
    removed from the catalog since are left out. The reasons (the answers' labels, kept in the
    source language) are shown in the active language."""
    kept = response.recommendations or [{"sku": sku, "score": 0, "reasons": []}
                                        for sku in response.recommended_skus]
    products = dict(getattr(response, "products_shown", None) or {})  # set on completing
    missing = [item["sku"] for item in kept if item["sku"] not in products]
    if missing:
        products.update(Product.objects.in_bulk(missing, field_name="sku"))
    if not any(item["reasons"] for item in kept) or get_language() == qdef.SOURCE_LANGUAGE:
        return [ShownRecommendation(product=products[item["sku"]], score=item["score"],
                                    reasons=tuple(item["reasons"]))
                for item in kept if item["sku"] in products]
    shown = quiz_definition_shown(response.version)

    @cache
    def chosen() -> set[str]:
        return {key for answer in response_answers(response).values()
                for key in answer.choice_keys}

    return [
        ShownRecommendation(product=products[item["sku"]], score=item["score"],
                            reasons=tuple(qdef.reason_shown(shown, reason, chosen)
                                          for reason in item["reasons"]))
        for item in kept if item["sku"] in products
    ]


def quiz_response_latest_completed(*, customer: Customer) -> QuizResponse | None:
    """The customer's most recently completed response, or None."""
    return (QuizResponse.objects.select_related("version__quiz")
            .filter(customer=customer, status=QuizResponse.Status.COMPLETED)
            .order_by("-completed_at", "-pk").first())


def response_answers(response: QuizResponse) -> dict[str, qdef.Answer]:
    """The response's saved answers, as the definition helpers read them."""
    saved = getattr(response, "answers_saved", None)  # a response just written whole
    if saved is not None:
        return dict(saved)
    return {
        row.question_key: qdef.Answer(choice_keys=tuple(row.choice_keys), value=row.value)
        for row in response.answers.all()
    }


def _iso(value):
    return value.isoformat() if value else None


def quiz_responses_export(*, customer: Customer) -> dict:
    """The customer's quiz responses for a data-access request: each question as asked, the
    choices' labels they picked or what they typed, and what was recommended."""
    rows = []
    responses = (QuizResponse.objects.filter(customer=customer).select_related("version__quiz")
                 .prefetch_related("answers").order_by("started_at", "pk"))
    for response in responses:
        definition = quiz_definition(response.version)
        answers = []
        for answer in response.answers.all():
            question = definition.question(answer.question_key)
            labels = [c.label for c in question.choices if c.key in answer.choice_keys] \
                if question else list(answer.choice_keys)
            answers.append({"question": question.text if question else answer.question_key,
                            "choices": labels, "value": answer.value,
                            "answered_at": _iso(answer.answered_at)})
        rows.append({"quiz": response.version.quiz.title, "status": response.status,
                     "email": response.email, "consent_given": response.consent_given,
                     "started_at": _iso(response.started_at),
                     "completed_at": _iso(response.completed_at),
                     "answers": answers, "recommended_skus": response.recommended_skus})
    return {"quiz_responses": rows}


def quiz_activity_texts(activities: list) -> dict[int, str]:
    """"Quiz: Find your skincare routine" for each quiz_completed activity (one query)."""
    slugs = {a.data.get("quiz") for a in activities if a.data.get("quiz")}
    titles = dict(Quiz.objects.filter(slug__in=slugs).values_list("slug", "title"))
    return {a.pk: _("Quiz: %(title)s") % {"title": titles[a.data["quiz"]]}
            for a in activities if a.data.get("quiz") in titles}


def quiz_answer_texts(attributes: list) -> dict[int, tuple[str, str]]:
    """Each quiz answer as the shopper saw it: the question's text and the chosen choices'
    labels ("Oily, Often"), not the stored values ("oily,often"), in the active language."""
    wanted: dict[tuple[str, int], list] = {}
    for attribute in attributes:
        slug, _sep, rest = attribute.source_id.partition(":v")
        number, _sep, _question = rest.partition(":")
        if number.isdigit():
            wanted.setdefault((slug, int(number)), []).append(attribute)
    if not wanted:
        return {}
    query = Q(pk__in=[])
    for slug, number in wanted:
        query |= Q(quiz__slug=slug, number=number)
    texts = {}
    for version in QuizVersion.objects.filter(query).select_related("quiz"):
        definition, shown = quiz_definition(version), quiz_definition_shown(version)
        for attribute in wanted.get((version.quiz.slug, version.number), []):
            key = attribute.source_id.rpartition(":")[2]
            question, shown_question = definition.question(key), shown.question(key)
            if question is None or shown_question is None:
                continue
            if question.has_choices:
                by_value = {(c.value or c.label): s.label
                            for c, s in zip(question.choices, shown_question.choices,
                                            strict=True)}
                answer = ", ".join(by_value.get(v, v) for v in attribute.value.split(",") if v)
            else:
                answer = attribute.value
            texts[attribute.pk] = (shown_question.text, answer)
    return texts
