"""Every write of a shopper taking a quiz: starting, answering (step by step or all at once),
completing with recommendations, and adding what they said to their profile. Pages, the API
and the signup receiver call these."""

import datetime as dt
import json
import secrets
from collections.abc import Collection

from django.db import connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Activity, Attribute, Customer
from customers.selectors import customer_get, customer_skus_bought
from customers.services import activity_record, attribute_set, consent_set, customer_upsert
from kernel.bulk import insert_new
from kernel.emails import email_normalise
from loyalty.selectors import tier_position_get
from quizzes import definition as qdef
from quizzes.catalogue.selectors import catalog_cached, catalog_snapshot
from quizzes.engine import Catalog, ChosenAnswer, recommend
from quizzes.errors import InvalidAnswers, ResponseCompleted
from quizzes.models import Quiz, QuizAnswer, QuizResponse, QuizVersion, QuizViewDay
from quizzes.responses.selectors import (
    quiz_definition,
    quiz_response_get,
    quiz_version_latest,
    response_answers,
)


def quiz_view_count(*, quiz: Quiz, day: dt.date | None = None) -> None:
    """Count one view of the quiz's intro: one row per quiz and day, incremented in place."""
    day = day or timezone.localdate()
    QuizViewDay.objects.bulk_create([QuizViewDay(quiz=quiz, day=day, views=0)],
                                    ignore_conflicts=True)
    QuizViewDay.objects.filter(quiz=quiz, day=day).update(views=F("views") + 1)


def quiz_response_start(
    *, version: QuizVersion, customer: Customer | None = None,
    channel: str = QuizResponse.Channel.PAGE,
) -> QuizResponse:
    """Start a response on this version, at its first question, with a fresh secret token."""
    quiz = quiz_definition(version)
    return QuizResponse.objects.create(
        version=version, customer=customer, channel=channel,
        token=secrets.token_urlsafe(32), current_question=quiz.first_question or "",
    )


def _locked(response: QuizResponse) -> QuizResponse:
    locked = (QuizResponse.objects.select_for_update(of=("self",)).select_related("version")
              .get(pk=response.pk))
    if locked.status == QuizResponse.Status.COMPLETED:
        raise ResponseCompleted(_("This quiz is already completed; start it again to change "
                                  "your answers."))
    return locked


def _answers_upsert_sql() -> str:
    meta = QuizAnswer._meta
    column = {field.name: connection.ops.quote_name(field.column)
              for field in meta.concrete_fields}
    return (f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({column['response']}, "
            f"{column['question_key']}, {column['choice_keys']}, {column['value']}, "
            f"{column['answered_at']}) SELECT %s, answer.key, answer.choices, answer.value, %s "
            "FROM jsonb_to_recordset(%s::jsonb) AS answer(key varchar, choices jsonb, "
            "value varchar) "
            f"ON CONFLICT ({column['response']}, {column['question_key']}) DO UPDATE SET "
            f"{column['choice_keys']} = EXCLUDED.{column['choice_keys']}, "
            f"{column['value']} = EXCLUDED.{column['value']}, "
            f"{column['answered_at']} = EXCLUDED.{column['answered_at']}")


_ANSWERS_UPSERT = _answers_upsert_sql()


def _save_answers(response: QuizResponse, quiz: qdef.QuizDef, answers: dict[str, qdef.Answer],
                  *, consent: bool) -> None:
    """Insert or replace these answers in one statement (unique per response and question)."""
    now = timezone.now()
    if connection.vendor == "postgresql":
        # Written out (one statement whatever the number of answers): the ORM's compiling
        # of the bulk insert cost a completion more CPU than the insert. The answers go as
        # one JSON document, which PostgreSQL parses (as arrays, psycopg quoted each value
        # in Python).
        with connection.cursor() as cursor:
            cursor.execute(_ANSWERS_UPSERT, [response.pk, now, json.dumps([
                {"key": key, "choices": list(answer.choice_keys), "value": answer.value}
                for key, answer in answers.items()])])
    else:
        QuizAnswer.objects.bulk_create(
            [QuizAnswer(response=response, question_key=key,
                        choice_keys=list(answer.choice_keys), value=answer.value,
                        answered_at=now) for key, answer in answers.items()],
            update_conflicts=True, unique_fields=["response", "question_key"],
            update_fields=["choice_keys", "value", "answered_at"],
        )
    for key, answer in answers.items():
        if quiz.question_get(key).kind == qdef.EMAIL:
            response.email = answer.value
            response.consent_given = bool(answer.value) and consent


def quiz_response_answer(
    *, response: QuizResponse, question_key: str, raw, consent: bool = False,
) -> QuizResponse:
    """Answer one question of a response in progress (or change an earlier answer).

    The question must be on the shopper's path: answered already, or the one they are on.
    Changing an answer can change the branch: answers to questions no longer on the path are
    dropped. The response moves to the next unanswered question on the path; when the path
    reaches the end it is completed (recommendations, profile). `consent` is the marketing
    box of an email question (unticked unless the shopper ticks it)."""
    with transaction.atomic():
        response = _locked(response)
        quiz = quiz_definition(response.version)
        answers = response_answers(response)
        path, current = qdef.path_walk(quiz, answers)
        question = quiz.question(question_key)
        if question is None:
            raise InvalidAnswers.one(question_key, "unknown_question",
                                     _("There is no such question."))
        if question_key not in path and question_key != current:
            raise InvalidAnswers.one(question_key, "not_on_path",
                                     _("This question is not on the path your answers take."))
        answer = qdef.answer_clean(question, raw)
        _save_answers(response, quiz, {question_key: answer}, consent=consent)
        answers[question_key] = answer
        return _advance(response, quiz, answers)


def quiz_response_answer_many(
    *, response: QuizResponse, raw_answers: dict, consent: bool = False, complete: bool = True,
) -> QuizResponse:
    """Answer several questions at once, in path order. With `complete`, the answers must
    take the shopper to the end (every required question on the path answered) and the
    response is completed; every problem is reported at once, each under its question's key,
    and nothing is saved. Without it, they are saved one by one as `quiz_response_answer`
    would, stopping at the first problem (earlier answers stay saved)."""
    if not complete:
        quiz = quiz_definition(response.version)
        order = {question.key: i for i, question in enumerate(quiz.questions)}
        pending = dict(raw_answers)
        while pending:
            # The question the shopper is on first, so answers follow the branches they
            # open; otherwise an earlier answer changed (or one off the path, refused).
            key = (response.current_question if response.current_question in pending
                   else min(pending, key=lambda k: order.get(k, len(order))))
            response = quiz_response_answer(response=response, question_key=key,
                                            raw=pending.pop(key), consent=consent)
        return response
    with transaction.atomic():
        response = _locked(response)
        quiz = quiz_definition(response.version)
        saved = response_answers(response)
        merged = {**{k: _raw(a) for k, a in saved.items()}, **raw_answers}
        answers = qdef.answers_clean(quiz, merged, submitted=raw_answers.keys())
        _save_answers(response, quiz, answers, consent=consent)
        return _advance(response, quiz, answers)


def _raw(answer: qdef.Answer):
    return list(answer.choice_keys) if answer.choice_keys else answer.value


def _advance(response: QuizResponse, quiz: qdef.QuizDef,
             answers: dict[str, qdef.Answer]) -> QuizResponse:
    path, current = qdef.path_walk(quiz, answers)
    response.answers.exclude(question_key__in=path).delete()
    if not {k for k in path if quiz.question_get(k).kind == qdef.EMAIL}:
        response.email, response.consent_given = "", False
    response.current_question = current or ""
    if current is None:
        _complete(response, quiz, {key: answers[key] for key in path})
    else:
        response.save(update_fields=["current_question", "email", "consent_given",
                                     "updated_at"])
    return response


def recommendations_for(
    *, quiz: qdef.QuizDef, answers: dict[str, qdef.Answer], customer: Customer | None,
    catalog: Catalog | None = None,
) -> list:
    """The engine's recommendations for these answers and this customer (what they already
    bought, their VIP tier), in a fixed number of queries whatever the catalog's size."""
    chosen = []
    for key, answer in answers.items():
        question = quiz.question_get(key)
        for choice in question.choices:
            if choice.key in answer.choice_keys:
                chosen.append(ChosenAnswer(
                    label=choice.label, tag_weights=choice.tag_weights,
                    product_weights=choice.product_weights,
                    excluded_tags=choice.excluded_tags, required_tags=choice.required_tags,
                ))
    return recommend(
        products=catalog if catalog is not None else catalog_cached(), answers=chosen,
        limit=quiz.recommend_count,
        owned_skus=(customer_skus_bought(customer=customer) if customer is not None
                    else frozenset()),
        tier_position=tier_position_get(customer=customer) if customer is not None else None,
    )


def quiz_response_submit(
    *, version: QuizVersion, raw_answers: dict, customer: Customer | None = None,
    consent: bool = False, channel: str = QuizResponse.Channel.API,
) -> QuizResponse:
    """Take a whole quiz at once: the answers must take the shopper to the end (see
    `answers_clean`: every problem is reported, each under its question's key, and nothing is
    written). The response is written completed, with its answers and recommendations, and
    added to the profile when the shopper is known, as `quiz_response_answer` would."""
    quiz = quiz_definition(version)
    answers = qdef.answers_clean(quiz, raw_answers)
    with transaction.atomic():
        response = QuizResponse(version=version, customer=customer, channel=channel,
                                token=secrets.token_urlsafe(32))
        for key, answer in answers.items():
            if quiz.question_get(key).kind == qdef.EMAIL and answer.value:
                response.email, response.consent_given = answer.value, consent
        _complete(response, quiz, answers, save_answers=True)
    return response


def quiz_response_receive(
    *, slug: str, raw_answers: dict, partial: bool = False, consent: bool = False,
    response_id: int | None = None, customer_id: int | None = None,
) -> tuple[QuizResponse, bool]:
    """Answers posted through the API, and whether they started a new response. Without
    `response_id`: all at once (`quiz_response_submit`) or, when `partial`, a new response
    (on the quiz's latest published version) with these first answers. With it: the next
    answers of that response of this quiz. Raises QuizNotFound, ResponseNotFound,
    NotFound (an unknown customer), InvalidAnswers or ResponseCompleted."""
    created = response_id is None
    if created:
        customer = customer_get(customer_id=customer_id) if customer_id is not None else None
        version = quiz_version_latest(slug=slug, with_catalog_stamp=not partial)
        if partial:
            response = quiz_response_start(version=version, customer=customer,
                                           channel=QuizResponse.Channel.API)
        else:
            response = quiz_response_submit(version=version, customer=customer,
                                            raw_answers=raw_answers, consent=consent)
    else:
        response = quiz_response_get(pk=response_id, slug=slug)
    if raw_answers and (partial or not created):
        response = quiz_response_answer_many(response=response, raw_answers=raw_answers,
                                             consent=consent, complete=False)
    return response, created


def _complete(response: QuizResponse, quiz: qdef.QuizDef,
              answers: dict[str, qdef.Answer], *, save_answers: bool = False) -> None:
    if response.customer is None and response.email:
        response.customer = _customer_for_email(response.email, consent=response.consent_given)
    snapshot = catalog_snapshot(stamp=getattr(response.version, "catalog_stamp", None))
    recommendations = recommendations_for(quiz=quiz, answers=answers,
                                          customer=response.customer, catalog=snapshot.catalog)
    response.recommended_skus = [r.sku for r in recommendations]
    response.recommendations = [{"sku": r.sku, "score": r.score, "reasons": list(r.reasons)}
                                for r in recommendations]
    response.status = QuizResponse.Status.COMPLETED
    response.completed_at = timezone.now()
    response.current_question = ""
    if response.pk is None:  # written whole: one INSERT written once per process
        insert_new([response], key=("token",))
    else:
        response.save()
    # What the caller shows next is at hand: the products as scored, and (for a response
    # written whole) its answers; `recommendations_shown` and `response_answers` read them
    # from here instead of the database.
    response.products_shown = {r.sku: snapshot.products[r.sku] for r in recommendations}
    if save_answers:
        _save_answers(response, quiz, answers, consent=response.consent_given)
        response.answers_saved = dict(answers)
    if response.customer is not None:
        quiz_response_sync(response=response)


def _customer_for_email(email: str, *, consent: bool) -> Customer | None:
    """The customer an emailed answer belongs to: found by email, or created when the
    shopper agreed to hear from the shop; None keeps the response anonymous for now."""
    if consent:
        return customer_upsert(email=email)
    return Customer.objects.filter(email=email_normalise(email), erased_at__isnull=True).first()


def quiz_response_sync(*, response: QuizResponse) -> QuizResponse:
    """Add a completed response to its customer's profile, once: each answer to a question
    that writes an attribute becomes that attribute (source quiz, source id
    "<slug>:v<version>:<question key>"), a birthday answer fills an empty birthday, the
    marketing consent given on the email question is recorded, and the completion goes on the
    timeline as `quiz_completed` (key per response), which earns the loyalty rule's points
    once. Does nothing for an anonymous, unfinished or already synced response."""
    with transaction.atomic():
        response = (QuizResponse.objects.select_for_update(of=("self",))
                    .select_related("version__quiz", "customer").get(pk=response.pk))
        customer = response.customer
        if (customer is None or response.synced_at is not None
                or response.status != QuizResponse.Status.COMPLETED):
            return response
        quiz = quiz_definition(response.version)
        slug, number = response.version.quiz.slug, response.version.number
        for row in response.answers.all():
            question = quiz.question(row.question_key)
            if question is None:
                continue
            answer = qdef.Answer(choice_keys=tuple(row.choice_keys), value=row.value)
            value = qdef.answer_attribute_value(question, answer)
            if question.attribute and value:
                attribute_set(
                    customer=customer, key=question.attribute, value=value,
                    source_kind=Attribute.SourceKind.QUIZ,
                    source_id=f"{slug}:v{number}:{question.key}", captured_at=row.answered_at,
                )
            if question.kind == qdef.BIRTHDAY and value and customer.birthday is None:
                customer_upsert(email=customer.email,
                                birthday=dt.date.fromisoformat(value))
        if response.consent_given and not customer.accepts_marketing:
            consent_set(customer=customer, accepts_marketing=True, source=f"quiz:{slug}")
        activity_record(
            customer=customer, kind=Activity.Kind.QUIZ_COMPLETED,
            occurred_at=response.completed_at, reference=f"{slug} v{number}",
            data={"quiz": slug, "version": number, "response": response.pk},
            key=completion_activity_key(response),
        )
        response.synced_at = timezone.now()
        response.save(update_fields=["synced_at", "updated_at"])
    return response


def completion_activity_key(response: QuizResponse) -> str:
    """The timeline key of a response's completion: one activity, so one award, per response."""
    return f"quiz_response:{response.pk}:completed"


def quiz_responses_attach(*, customer: Customer, tokens: Collection[str] = ()) -> int:
    """Attach anonymous responses to this customer: those given with their email (they just
    signed up, or the email now matches them) and those taken in the same browser (`tokens`
    from the session they signed in with). The completed ones are added to their profile,
    each once. Returns how many were attached."""
    return quiz_responses_attach_many(customers=[customer], tokens=tokens)


def quiz_responses_attach_many(*, customers: Collection[Customer],
                               tokens: Collection[str] = ()) -> int:
    """`quiz_responses_attach` for a batch of customers (new accounts): one locked read finds
    the anonymous responses given with any of their emails (or, for a single customer, in the
    browser of `tokens`), so a batch with none to attach costs one statement; each customer
    found then takes theirs. Returns how many were attached."""
    live = [c for c in customers if c.erased_at is None]
    by_email = {email_normalise(c.email): c for c in live if c.email}
    only = live[0] if len(customers) == 1 and live else None
    tokens = list(tokens) if only is not None else []
    if not by_email and not tokens:
        return 0
    with transaction.atomic():
        found = list(QuizResponse.objects.select_for_update(of=("self",))
                     .annotate(email_normalised=Lower("email"))
                     .filter(Q(email_normalised__in=list(by_email)) | Q(token__in=tokens),
                             customer__isnull=True)
                     .values_list("pk", "email_normalised"))
        owners: dict[Customer, list[int]] = {}
        for pk, email in found:
            owner = by_email.get(email, only)
            if owner is not None:
                owners.setdefault(owner, []).append(pk)
        for owner, ids in owners.items():
            QuizResponse.objects.filter(pk__in=ids).update(customer=owner)
        for response in QuizResponse.objects.filter(
                pk__in=[pk for ids in owners.values() for pk in ids],
                status=QuizResponse.Status.COMPLETED).order_by("completed_at"):
            quiz_response_sync(response=response)
    return sum(len(ids) for ids in owners.values())


def quiz_personal_data_erase(*, customer: Customer, emails: Collection[str] = ()) -> int:
    """Forget what an erased customer typed into quizzes (text, email and birthday answers)
    and the email their responses were given with, also on responses never matched to them
    but given with one of their `emails`. Chosen choices stay, anonymous, so the funnels and
    hit rates still add up. Returns the responses changed."""
    emails = [email_normalise(e) for e in emails if e]
    mine = QuizResponse.objects.filter(Q(customer=customer) | Q(email__in=emails))
    QuizAnswer.objects.filter(response__in=mine).exclude(value="").update(value="")
    return mine.update(email="")
