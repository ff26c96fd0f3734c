"""Reads for the quiz builder: the mapping grid, and quiz analytics."""

import csv
import datetime as dt
import io
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Q, Sum

from customers import selectors as customer_selectors
from quizzes.catalogue.selectors import catalog_tags
from quizzes.models import (
    Choice,
    ChoiceWeight,
    Question,
    Quiz,
    QuizAnswer,
    QuizResponse,
    QuizViewDay,
)
from quizzes.services import GRID_FIXED_COLUMNS

# The quiz builder's reads: the mapping grid.


@dataclass(frozen=True)
class GridRow:
    question: Question
    choice: Choice
    weights: dict[str, int]  # tag -> weight; tags without weight are absent


@dataclass(frozen=True)
class Grid:
    tags: list[str]
    rows: list[GridRow]


def quiz_grid(*, quiz: Quiz) -> Grid:
    """The quiz's choice-to-tag weights: a row per choice of its choice questions, in asking
    order; a column per tag of the catalog (and any tag the quiz already weighs)."""
    choices = list(
        Choice.objects.filter(question__quiz=quiz, question__kind__in=Question.CHOICE_KINDS)
        .select_related("question").order_by("question__position", "question_id", "position",
                                             "id")
    )
    weights: dict[int, dict[str, int]] = {choice.pk: {} for choice in choices}
    for choice_id, tag, weight in (ChoiceWeight.objects.filter(choice__question__quiz=quiz)
                                   .exclude(tag="").values_list("choice_id", "tag", "weight")):
        weights.setdefault(choice_id, {})[tag] = weight
    used = {tag for row in weights.values() for tag in row}
    return Grid(
        tags=sorted(catalog_tags() | used),
        rows=[GridRow(question=c.question, choice=c, weights=weights[c.pk]) for c in choices],
    )


def quiz_grid_csv(*, quiz: Quiz) -> str:
    """The grid as CSV (question, choice_id, choice, then a column per tag; blank cells have
    no weight), as `quiz_grid_import` reads it back."""
    grid = quiz_grid(quiz=quiz)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*GRID_FIXED_COLUMNS, *grid.tags])
    for row in grid.rows:
        writer.writerow([row.question.text, row.choice.pk, row.choice.label,
                         *(row.weights.get(tag, "") for tag in grid.tags)])
    return out.getvalue()


# Analytics: the funnel of a quiz and whether its recommendations sold.

HIT_WINDOW_DAYS = 30


@dataclass(frozen=True)
class AnswerCount:
    label: str
    count: int
    share: float  # of the question's answers


@dataclass(frozen=True)
class QuestionStats:
    key: str
    text: str
    kind: str
    reached: int  # responses that answered it or stopped on it
    answered: int
    stopped: int  # responses still in progress on it: where shoppers drop off
    distribution: list[AnswerCount]

    @property
    def drop_off_rate(self) -> float:
        return self.stopped / self.reached if self.reached else 0.0


@dataclass(frozen=True)
class Funnel:
    views: int
    starts: int
    completions: int
    emails: int
    emails_with_consent: int
    questions: list[QuestionStats]

    @property
    def completion_rate(self) -> float:
        return self.completions / self.starts if self.starts else 0.0

    @property
    def start_rate(self) -> float:
        return self.starts / self.views if self.views else 0.0


def _question_labels(quiz: Quiz) -> tuple[list[dict], dict[str, str]]:
    """The questions of the newest version, in order, then any that only older versions had;
    and every choice key's label (the newest wins)."""
    questions: dict[str, dict] = {}
    choice_labels: dict[str, str] = {}
    for definition in quiz.versions.order_by("-number").values_list("definition", flat=True):
        for question in definition.get("questions", []):
            questions.setdefault(question["key"], question)
            for choice in question.get("choices", []):
                choice_labels.setdefault(choice["key"], choice["label"])
    return list(questions.values()), choice_labels


def quiz_funnel(*, quiz: Quiz) -> Funnel:
    """The quiz's funnel over all its versions: intro views, responses started and completed,
    emails captured; per question (keys are stable across versions) how many responses
    reached it, answered it, and stopped on it (still in progress there: the drop-off), and
    how the answers spread over its choices (scale questions: over 1-5). In a fixed number of
    queries, whatever the number of responses, except the answer distribution, which reads
    each answer's choices once."""
    responses = QuizResponse.objects.filter(version__quiz=quiz)
    totals = responses.aggregate(
        starts=Count("id"),
        completions=Count("id", filter=Q(status=QuizResponse.Status.COMPLETED)),
        emails=Count("id", filter=~Q(email="")),
        consents=Count("id", filter=~Q(email="") & Q(consent_given=True)),
    )
    views = QuizViewDay.objects.filter(quiz=quiz).aggregate(total=Sum("views"))["total"] or 0
    answers = QuizAnswer.objects.filter(response__version__quiz=quiz)
    answered = dict(answers.values("question_key").annotate(n=Count("id"))
                    .values_list("question_key", "n"))
    in_progress = responses.filter(status=QuizResponse.Status.IN_PROGRESS)
    stopped = dict(in_progress.values("current_question").annotate(n=Count("id"))
                   .values_list("current_question", "n"))
    # A shopper who went back is on a question they had answered: count them once.
    both = dict(answers.filter(response__status=QuizResponse.Status.IN_PROGRESS,
                               response__current_question=F("question_key"))
                .values("question_key").annotate(n=Count("id"))
                .values_list("question_key", "n"))
    counts: dict[str, Counter] = {}
    for key, choice_keys, value in answers.values_list("question_key", "choice_keys", "value"):
        counter = counts.setdefault(key, Counter())
        if choice_keys:
            counter.update(choice_keys)
        elif value:
            counter[value] += 1
    questions, choice_labels = _question_labels(quiz)
    stats = []
    for question in questions:
        key = question["key"]
        counter = counts.get(key, Counter())
        if question["kind"] in Question.CHOICE_KINDS:
            order = [c["key"] for c in question.get("choices", [])]
            order += sorted(k for k in counter if k not in order)
            labelled = [(choice_labels.get(k, k), counter.get(k, 0)) for k in order]
        elif question["kind"] == Question.Kind.SCALE:
            labelled = [(str(n), counter.get(str(n), 0)) for n in range(1, 6)]
        else:
            labelled = []  # free text, emails and birthdays are not tallied
        n_answers = answered.get(key, 0)
        stats.append(QuestionStats(
            key=key, text=question["text"], kind=question["kind"],
            reached=n_answers + stopped.get(key, 0) - both.get(key, 0), answered=n_answers,
            stopped=stopped.get(key, 0),
            distribution=[AnswerCount(label=label, count=count,
                                      share=count / n_answers if n_answers else 0.0)
                          for label, count in labelled],
        ))
    return Funnel(views=views, starts=totals["starts"], completions=totals["completions"],
                  emails=totals["emails"], emails_with_consent=totals["consents"],
                  questions=stats)


@dataclass(frozen=True)
class HitRate:
    completions: int  # all completed responses
    followed: int  # completed by a known customer: those whose orders we can see
    hits: int  # of those, how many bought a recommended product within the window
    revenue: dict[str, Decimal]  # currency -> amount of the recommended products bought
    window_days: int = HIT_WINDOW_DAYS

    @property
    def rate(self) -> float:
        return self.hits / self.followed if self.followed else 0.0


def quiz_hit_rate(*, quiz: Quiz, window_days: int = HIT_WINDOW_DAYS) -> HitRate:
    """Did the recommendations sell? Of the completed responses of known customers (anonymous
    completers can't be followed to an order), the share whose customer bought at least one of
    the products recommended to them on a paid order placed within `window_days` after
    completing (cancelled and fully refunded orders don't count); and the revenue of those
    recommended products (price x quantity of the matching lines, each line counted once
    even when two responses recommended it), by currency. Three queries."""
    completed = list(
        QuizResponse.objects.filter(version__quiz=quiz, status=QuizResponse.Status.COMPLETED)
        .values_list("customer_id", "completed_at", "recommended_skus")
    )
    followed = [(c, at, set(skus)) for c, at, skus in completed
                if c is not None and at is not None]
    revenue: dict[str, Decimal] = {}
    hits = 0
    if followed:
        lines = customer_selectors.order_lines_bought(
            customer_ids={c for c, _at, _skus in followed},
            skus=set().union(*(skus for _c, _at, skus in followed)),
            since=min(at for _c, at, _skus in followed),
        )
        by_customer: dict[int, list[dict]] = {}
        for line in lines:
            by_customer.setdefault(line["customer_id"], []).append(line)
        window = dt.timedelta(days=window_days)
        counted: set[int] = set()
        for customer_id, completed_at, skus in followed:
            matched = [line for line in by_customer.get(customer_id, [])
                       if line["sku"] in skus
                       and completed_at <= line["placed_at"] <= completed_at + window]
            if matched:
                hits += 1
            for line in matched:
                if line["line_id"] not in counted:
                    counted.add(line["line_id"])
                    revenue[line["currency"]] = revenue.get(line["currency"], Decimal("0")) \
                        + line["amount"]
    return HitRate(completions=len(completed), followed=len(followed), hits=hits,
                   revenue=dict(sorted(revenue.items())), window_days=window_days)
