"""The survey page behind the email's links: `/nps/<token>/`.

The first human click records the score. Mail scanners that open every link of an email
(Outlook Safe Links, Mimecast, Proofpoint...) must not answer for the customer, so a request
that looks like one (HEAD, a prefetch header, a bot or scanner user agent, none at all) gets
the page with the score pre-selected and a button instead: nothing is recorded until someone
presses it.
"""

from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from customers.models import Activity, NpsCategory
from loyalty.selectors import activity_points_preview

from . import selectors, services
from .errors import AlreadyAnswered, TokenExpired, TokenInvalid
from .forms import FollowUpForm, ScoreForm
from .models import NpsResponse, NpsSurvey
from .share import promoter_share_context

SCANNER_AGENTS = (
    "bot", "spider", "crawler", "preview", "scanner", "safelinks", "safe links", "mimecast",
    "proofpoint", "barracuda", "trendmicro", "symantec", "forcepoint", "urldefense",
    "python-requests", "python-urllib", "curl/", "wget/", "go-http-client", "okhttp",
    "java/", "libwww", "httpclient",
)
PREFETCH_HEADERS = ("Purpose", "Sec-Purpose", "X-Purpose", "X-Moz")


def looks_like_a_scanner(request) -> bool:
    """True for requests no person made by clicking: scanners, previews and prefetches."""
    if request.method == "HEAD":
        return True
    if any("prefetch" in request.headers.get(name, "").lower()
           or "preview" in request.headers.get(name, "").lower() for name in PREFETCH_HEADERS):
        return True
    agent = request.headers.get("User-Agent", "").lower()
    return not agent or any(marker in agent for marker in SCANNER_AGENTS)


def _closed(request, error, *, status: int):
    return render(request, "referrals/nps/closed.html", {"error": error}, status=status)


def _follow_up(request, token, response: NpsResponse, form=None, *, clicked: int | None = None):
    survey = NpsSurvey.get()
    return render(request, "referrals/nps/follow_up.html", {
        "token": token, "response": response, "form": form or FollowUpForm(),
        "follow_up_question": survey.follow_up_question(response.category),
        "kept_first": clicked is not None and clicked != response.score,
        "points": activity_points_preview(activity_kind=Activity.Kind.NPS_ANSWERED),
    }, status=400 if form is not None and form.errors else 200)


def _ask(request, token, invitation, form=None, *, score: int | None = None):
    form = form or ScoreForm(initial={"score": score})
    return render(request, "referrals/nps/ask.html", {
        "token": token, "invitation": invitation, "form": form, "score": score,
    }, status=400 if form.errors else 200)


def _done(request, response: NpsResponse, *, again: bool):
    context = {"response": response, "again": again,
               "is_promoter": response.category == NpsCategory.PROMOTER}
    if context["is_promoter"]:
        context.update(promoter_share_context(request, response.customer))
    return render(request, "referrals/nps/thanks.html", context)


def _opened(request, token: str):
    """What the link opens: (invitation, the score it carries, the answer so far), None; or
    None and the page saying why it opens nothing (404 unknown, 410 expired)."""
    try:
        invitation, score = services.nps_invitation_from_token(token=token)
    except TokenInvalid as error:
        return None, _closed(request, error, status=404)
    except TokenExpired as error:
        return None, _closed(request, error, status=410)
    return (invitation, score, selectors.nps_response_for_invitation(invitation=invitation)), None


@require_http_methods(["GET", "HEAD", "POST"])
def nps_answer(request, token: str):
    opened, closed = _opened(request, token)
    if opened is None:
        return closed
    invitation, score, response = opened
    if request.method == "POST":
        return _answer_posted(request, token, invitation, response, score)
    if response is not None:
        if response.commented_at is not None:
            return _done(request, response, again=True)
        return _follow_up(request, token, response, clicked=score)
    if score is None or looks_like_a_scanner(request):
        return _ask(request, token, invitation, score=score)
    response, _created = services.nps_answer_record(invitation=invitation, score=score)
    return _follow_up(request, token, response, clicked=score)


def _answer_posted(request, token, invitation, response, token_score):
    if response is None:
        form = ScoreForm(request.POST)
        if not form.is_valid():
            return _ask(request, token, invitation, form, score=token_score)
        response, _created = services.nps_answer_record(invitation=invitation,
                                                        score=form.cleaned_data["score"])
    else:
        form = FollowUpForm(request.POST)
        if not form.is_valid():
            return _follow_up(request, token, response, form)
    try:
        services.nps_comment_add(response=response, comment=form.cleaned_data["comment"])
    except AlreadyAnswered:
        response.refresh_from_db()
        return _done(request, response, again=True)
    return redirect("nps_thanks", token=token)


@require_http_methods(["GET", "HEAD"])
def nps_thanks(request, token: str):
    opened, closed = _opened(request, token)
    if opened is None:
        return closed
    _invitation, _score, response = opened
    if response is None or response.commented_at is None:
        return redirect("nps_answer", token=token)
    return _done(request, response, again=False)


