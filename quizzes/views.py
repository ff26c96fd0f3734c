"""Shopper pages for taking a quiz: intro, one question per screen, results; and the staff
preview of a draft. Server-rendered forms that work without JavaScript; views read input and
call one service.

The browser's responses live in the session ({slug: token}), so a reload or a later visit
resumes where the shopper was. The preview keeps its answers in the session too and writes
nothing to the database."""

from dataclasses import dataclass
from functools import wraps

from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_POST

from customers.models import Activity
from customers.selectors import activity_get_by_key
from kernel.images import media_url
from kernel.shoppers import signed_in_customer
from loyalty.selectors import activity_points_earned, activity_points_preview
from quizzes import definition as qdef
from quizzes import services as builder_services
from quizzes.errors import (
    InvalidAnswers,
    InvalidDefinition,
    QuizNotFound,
    ResponseCompleted,
    ResponseNotFound,
)
from quizzes.models import Product, Quiz, QuizResponse
from quizzes.responses import services
from quizzes.responses.selectors import (
    fallback_languages,
    quiz_definition_shown,
    quiz_response_get,
    quiz_response_latest_completed,
    quiz_version_latest,
    recommendations_shown,
    response_answers,
)

SESSION_KEY = "quiz_responses"
PREVIEW_KEY = "quiz_previews"


def _version(slug: str):
    try:
        return quiz_version_latest(slug=slug)
    except QuizNotFound as exc:
        raise Http404(exc.message) from exc


def _session_response(request, slug: str) -> QuizResponse | None:
    token = request.session.get(SESSION_KEY, {}).get(slug)
    if not token:
        return None
    try:
        return quiz_response_get(token=token, slug=slug)
    except ResponseNotFound:
        return None


def _remember(request, slug: str, token: str) -> None:
    tokens = request.session.get(SESSION_KEY, {})
    tokens[slug] = token
    request.session[SESSION_KEY] = tokens


@dataclass
class Taking:
    """One pass through a quiz as the pages show it: the real one (a saved response) or the
    preview (answers in the session). `urls` names the URL patterns to use."""

    slug: str
    quiz: qdef.QuizDef
    answers: dict[str, qdef.Answer]
    urls: dict[str, str]
    preview: bool = False
    response: QuizResponse | None = None
    consent: bool = False
    email: str = ""

    def url(self, name: str, key: str | None = None) -> str:
        args = [self.slug] if key is None else [self.slug, key]
        return reverse(self.urls[name], args=args)

    def where_now(self) -> str:
        _path, current = qdef.path_walk(self.quiz, self.answers)
        return self.url("results") if current is None else self.url("question", current)


REAL_URLS = {"intro": "quiz", "start": "quiz_start", "question": "quiz_question",
             "results": "quiz_results"}
PREVIEW_URLS = {"intro": "quiz_preview", "start": "quiz_preview_start",
                "question": "quiz_preview_question", "results": "quiz_preview_results"}


def _intro(request, slug: str, taking: Taking | None, quiz: qdef.QuizDef, urls: dict, *,
           preview: bool, cover: str):
    in_progress = completed = False
    if taking is not None:
        _path, current = qdef.path_walk(taking.quiz, taking.answers)
        completed = current is None
        in_progress = not completed and bool(taking.answers)
    return render(request, "quizzes/intro.html", {
        "quiz": quiz, "preview": preview, "cover_url": media_url(cover),
        "question_count": len(quiz.questions),
        "points": activity_points_preview(activity_kind=Activity.Kind.QUIZ_COMPLETED),
        "start_url": reverse(urls["start"], args=[slug]),
        "continue_url": taking.where_now() if in_progress else "",
        "results_url": taking.url("results") if completed else "",
    })


def _question_page(request, taking: Taking, key: str, save):
    """Show question `key` (GET) or record its answer through `save(question, raw, consent)`
    (POST). Questions off the shopper's path send them back to where they are."""
    quiz = taking.quiz
    path, current = qdef.path_walk(quiz, taking.answers)
    question = quiz.question(key)
    if question is None or (key not in path and key != current):
        return HttpResponseRedirect(taking.where_now())
    error = ""
    saved = taking.answers.get(key)
    chosen = set(saved.choice_keys) if saved else set()
    value = saved.value if saved else ""
    consent = taking.consent
    if request.method == "POST":
        if question.kind == qdef.MULTIPLE:
            raw = request.POST.getlist("answer")
        else:
            raw = request.POST.get("answer", "")
        consent = request.POST.get("consent") == "on"
        try:
            taking = save(question, raw, consent)
        except InvalidAnswers as exc:
            error = next(iter(exc.problems.values()))[1]
            chosen = set(raw if isinstance(raw, list) else [raw])
            value = raw if isinstance(raw, str) else ""
        except ResponseCompleted:
            return HttpResponseRedirect(taking.url("results"))
        else:
            return HttpResponseRedirect(taking.where_now())
    position = path.index(key) if key in path else len(path)
    remaining = _remaining(quiz, taking.answers, key)
    total = position + remaining
    back = taking.url("question", path[position - 1]) if position > 0 else taking.url("intro")
    choices = [
        {"key": choice.key, "label": choice.label, "image": media_url(choice.image),
         "checked": choice.key in chosen}
        for choice in question.choices
    ]
    if question.kind == qdef.SCALE:
        choices = [{"key": str(n), "label": str(n), "image": "", "checked": str(n) == value}
                   for n in range(qdef.SCALE_MIN, qdef.SCALE_MAX + 1)]
    return render(request, "quizzes/question.html", {
        "quiz": quiz, "question": question, "choices": choices, "value": value,
        "consent": consent, "error": error, "preview": taking.preview,
        "step": position + 1, "total": total, "back_url": back,
        "action": taking.url("question", key),
        "input_type": {"email": "email", "birthday": "date"}.get(question.kind, "text"),
        "is_last": remaining == 1,
    }, status=400 if error else 200)


def _remaining(quiz: qdef.QuizDef, answers: dict, key: str) -> int:
    """Questions from `key` to the end, following the answers given and otherwise each
    question's default next: the progress bar's estimate."""
    count, seen = 0, set()
    while key is not None and key not in seen:
        seen.add(key)
        count += 1
        key = qdef.next_question_key(quiz.question(key), answers.get(key))
    return count


def _results(request, taking: Taking, recommendations, *, points: int, earned: bool):
    return render(request, "quizzes/results.html", {
        "quiz": taking.quiz, "preview": taking.preview,
        "recommendations": recommendations,
        "points": points, "earned": earned, "known": taking.response is not None
        and taking.response.customer_id is not None,
        "again_url": taking.url("intro"), "email": taking.email,
        "last_question_url": taking.url("question", qdef.path_walk(
            taking.quiz, taking.answers)[0][-1]) if taking.answers else taking.url("intro"),
    })


def _takeable(view):
    """A quiz whose definition can't be taken (a branch to a deleted question...) gets a page
    that says why instead of an error."""

    @wraps(view)
    def wrapper(request, slug, *args, **kwargs):
        try:
            return view(request, slug, *args, **kwargs)
        except InvalidDefinition as exc:
            return render(request, "quizzes/unavailable.html", {
                "message": exc.message, "preview": "preview" in request.resolver_match.url_name,
            }, status=400)

    return wrapper


def _previewable(view):
    """Staff only, and `_takeable`."""
    return staff_member_required(_takeable(view))


# The real quiz.

def _taking(slug: str, response: QuizResponse) -> Taking:
    return Taking(slug=slug, quiz=quiz_definition_shown(response.version),
                  answers=response_answers(response), urls=REAL_URLS, response=response,
                  consent=response.consent_given, email=response.email)


@_takeable
def quiz_intro(request, slug):
    version = _version(slug)
    quiz = quiz_definition_shown(version)
    services.quiz_view_count(quiz=version.quiz)
    response = _session_response(request, slug)
    taking = _taking(slug, response) if response else None
    return _intro(request, slug, taking, quiz, REAL_URLS, preview=False,
                  cover=quiz.cover_image or version.quiz.cover_image.name)


@_takeable
@require_POST
def quiz_start(request, slug):
    version = _version(slug)
    response = services.quiz_response_start(version=version, customer=signed_in_customer(request))
    _remember(request, slug, response.token)
    return HttpResponseRedirect(_taking(slug, response).where_now())


@_takeable
def quiz_question(request, slug, key):
    response = _session_response(request, slug)
    if response is None:
        return HttpResponseRedirect(reverse("quiz", args=[slug]))
    taking = _taking(slug, response)
    if response.status == QuizResponse.Status.COMPLETED:
        return HttpResponseRedirect(taking.url("results"))

    def save(question, raw, consent):
        saved = services.quiz_response_answer(response=response, question_key=question.key,
                                              raw=raw, consent=consent)
        return _taking(slug, saved)

    return _question_page(request, taking, key, save)


@_takeable
def quiz_results(request, slug):
    response = _session_response(request, slug)
    if response is None:
        return HttpResponseRedirect(reverse("quiz", args=[slug]))
    taking = _taking(slug, response)
    if response.status != QuizResponse.Status.COMPLETED:
        return HttpResponseRedirect(taking.where_now())
    activity = activity_get_by_key(key=services.completion_activity_key(response))
    if activity is not None:
        points, earned = activity_points_earned(activity=activity), True
    else:
        points, earned = activity_points_preview(activity_kind=Activity.Kind.QUIZ_COMPLETED), False
    return _results(request, taking, recommendations_shown(response=response),
                    points=points, earned=earned)


# The staff preview of the draft: the same pages, nothing saved.

def _draft(slug: str) -> tuple[Quiz, qdef.QuizDef]:
    quiz = get_object_or_404(Quiz, slug=slug)
    definition = qdef.definition_parse(builder_services.quiz_definition_build(quiz=quiz))
    return quiz, qdef.quiz_localize(definition, fallback_languages(get_language() or ""))


def _preview_taking(request, slug: str) -> Taking:
    _quiz, definition = _draft(slug)
    stored = request.session.get(PREVIEW_KEY, {}).get(slug, {})
    answers = {key: qdef.Answer(choice_keys=tuple(a["choice_keys"]), value=a["value"])
               for key, a in stored.get("answers", {}).items()}
    return Taking(slug=slug, quiz=definition, answers=answers, urls=PREVIEW_URLS,
                  preview=True, consent=stored.get("consent", False),
                  email=stored.get("email", ""))


def _preview_store(request, slug: str, taking: Taking) -> None:
    previews = request.session.get(PREVIEW_KEY, {})
    previews[slug] = {
        "answers": {key: {"choice_keys": list(a.choice_keys), "value": a.value}
                    for key, a in taking.answers.items()},
        "consent": taking.consent, "email": taking.email,
    }
    request.session[PREVIEW_KEY] = previews


@_previewable
def quiz_preview(request, slug):
    quiz, definition = _draft(slug)
    taking = _preview_taking(request, slug)
    return _intro(request, slug, taking, definition, PREVIEW_URLS, preview=True,
                  cover=definition.cover_image or quiz.cover_image.name)


@_previewable
@require_POST
def quiz_preview_start(request, slug):
    taking = _preview_taking(request, slug)
    taking.answers = {}
    _preview_store(request, slug, taking)
    return HttpResponseRedirect(taking.where_now())


@_previewable
def quiz_preview_question(request, slug, key):
    taking = _preview_taking(request, slug)

    def save(question, raw, consent):
        answer = qdef.answer_clean(question, raw)
        taking.answers[question.key] = answer
        path, _current = qdef.path_walk(taking.quiz, taking.answers)
        taking.answers = {k: a for k, a in taking.answers.items() if k in path}
        if question.kind == qdef.EMAIL:
            taking.email, taking.consent = answer.value, consent and bool(answer.value)
        _preview_store(request, slug, taking)
        return taking

    return _question_page(request, taking, key, save)


@_previewable
def quiz_preview_results(request, slug):
    taking = _preview_taking(request, slug)
    path, current = qdef.path_walk(taking.quiz, taking.answers)
    if current is not None:
        return HttpResponseRedirect(taking.where_now())
    recommendations = services.recommendations_for(
        quiz=taking.quiz, answers={key: taking.answers[key] for key in path}, customer=None)
    products = Product.objects.in_bulk([r.sku for r in recommendations], field_name="sku")
    shown = [_Shown(products[r.sku], r.reasons) for r in recommendations if r.sku in products]
    return _results(request, taking, shown,
                    points=activity_points_preview(activity_kind=Activity.Kind.QUIZ_COMPLETED),
                    earned=False)


@dataclass(frozen=True)
class _Shown:
    product: Product
    reasons: tuple[str, ...]


# The account page's panel.

def recommendations_panel(request, customer) -> dict | None:
    """The latest completed quiz's recommendations, for the account page (hidden when the
    customer has completed none)."""
    response = quiz_response_latest_completed(customer=customer)
    if response is None:
        return None
    return {
        "quiz_title": quiz_definition_shown(response.version).title
        or response.version.quiz.title,
        "quiz_url": reverse("quiz", args=[response.version.quiz.slug]),
        "completed_at": response.completed_at,
        "recommendations": recommendations_shown(response=response),
    }


def home_panel_context(request, customer) -> dict | None:
    """The front page's quizzes: every published one, with its intro and the points it earns
    (title and intro in the shopper's language: modeltranslation reads the quiz's columns)."""
    from quizzes.responses.selectors import quiz_versions_latest

    versions = quiz_versions_latest()
    if not versions:
        return None
    return {"quizzes": [{"quiz": v.quiz, "intro": v.quiz.intro} for v in versions],
            "points": activity_points_preview(activity_kind=Activity.Kind.QUIZ_COMPLETED)}
