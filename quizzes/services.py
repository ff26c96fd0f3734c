"""The quiz builder's writes: a quiz's draft as a whole, publishing, duplicating, the mapping
grid. The catalog's writes are in quizzes/catalogue/services.py, the responses' in
quizzes/responses/services.py."""

import csv
import io
from collections.abc import Mapping

from django.conf import settings
from django.db import models, transaction
from django.db.models import Max, Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override
from modeltranslation.translator import translator
from modeltranslation.utils import build_localized_fieldname

from quizzes import validation
from quizzes.definition import SOURCE_LANGUAGE
from quizzes.errors import InvalidGrid, InvalidQuiz
from quizzes.models import TAG_PATTERN, Choice, ChoiceWeight, Question, Quiz, QuizVersion
from quizzes.validation import ChoiceNode, QuestionNode

GRID_FIXED_COLUMNS = ["question", "choice_id", "choice"]
MAX_WEIGHT = 32767


def quiz_questions(quiz: Quiz) -> list[Question]:
    """The draft's questions in asking order, with their choices and weights, in three
    queries."""
    return list(
        Question.objects.filter(quiz=quiz).order_by("position", "id").prefetch_related(
            Prefetch("choices", queryset=Choice.objects.order_by("position", "id")
                     .prefetch_related(Prefetch("weights", queryset=ChoiceWeight.objects
                                                .select_related("product")))),
        )
    )


def question_node(question: Question, choices=None) -> QuestionNode:
    """A question (and its choices, or `choices` in their place) as the validator reads it."""
    choices = question.choices.all() if choices is None else choices
    return QuestionNode(
        key=question.key, text=question.text, kind=question.kind, required=question.required,
        attribute=question.attribute, max_choices=question.max_choices, next=question.next,
        target=_target_key(question.next, question.next_question_id),
        choices=tuple(choice_node(choice) for choice in choices),
    )


def choice_node(choice: Choice) -> ChoiceNode:
    return ChoiceNode(label=choice.label, value=choice.value, next=choice.next,
                      target=_target_key(choice.next, choice.next_question_id))


def _target_key(next_: str, question_id: int | None) -> str | None:
    if next_ != "question":
        return None
    return f"q{question_id}" if question_id else validation.MISSING


def quiz_problems(*, quiz: Quiz, questions: list[Question] | None = None):
    """What stops the draft from being published (see quizzes/validation.py)."""
    questions = quiz_questions(quiz) if questions is None else questions
    return validation.quiz_problems([question_node(question) for question in questions])


def quiz_check(*, quiz: Quiz, questions: list[Question] | None = None) -> None:
    """Raise InvalidQuiz naming every question that breaks a building rule: branching with
    a cycle or to nowhere, a question never reached, a choice without a value where the
    question writes a profile attribute, a kind without what it needs."""
    problems = quiz_problems(quiz=quiz, questions=questions)
    if problems:
        raise invalid_quiz(problems)


def invalid_quiz(problems) -> InvalidQuiz:
    fields: dict[str, str] = {}
    for problem in problems:
        key = problem.question or "quiz"
        fields[key] = f"{fields[key]} {problem.message}" if key in fields else problem.message
    message = ngettext("The quiz can't be published: %(problems)s",
                       "The quiz can't be published (%(count)d problems): %(problems)s",
                       len(problems)) % {"count": len(problems),
                                         "problems": " ".join(p.message for p in problems)}
    return InvalidQuiz(message, fields=fields)


def _source(instance: models.Model, name: str) -> str:
    """A text in the source language (its _en column), whatever language is active."""
    return (getattr(instance, build_localized_fieldname(name, SOURCE_LANGUAGE))
            or getattr(instance, name) or "")


def _translations(instance: models.Model) -> dict[str, dict[str, str]]:
    """The instance's texts in each other offered language, blank ones left out."""
    names = sorted(translator.get_options_for_model(type(instance)).all_fields)
    translations = {}
    for code, _name in settings.LANGUAGES:
        if code == SOURCE_LANGUAGE:
            continue
        texts = {name: text for name in names
                 if (text := getattr(instance, build_localized_fieldname(name, code)))}
        if texts:
            translations[code] = texts
    return translations


def text_columns(instance: models.Model) -> dict[str, str | None]:
    """Every language's column of the instance's translated texts, to copy them."""
    names = sorted(translator.get_options_for_model(type(instance)).all_fields)
    columns = [build_localized_fieldname(name, code)
               for name in names for code, _name in settings.LANGUAGES]
    return {column: getattr(instance, column) for column in columns}


def quiz_definition_build(*, quiz: Quiz) -> dict:
    """The draft as a published definition (its shape is in quizzes/definition.py), without
    checking it: the preview shows a draft as it stands. Weights toward products are keyed by
    SKU, so the definition stays meaningful if a product is later deleted."""
    questions = quiz_questions(quiz)
    keys = [question.key for question in questions]
    body = []
    for index, question in enumerate(questions):
        if question.next == Question.Next.QUESTION:
            next_key = f"q{question.next_question_id}" if question.next_question_id else None
        elif question.next == Question.Next.END or index + 1 == len(keys):
            next_key = None
        else:
            next_key = keys[index + 1]
        body.append({
            "key": question.key,
            "text": _source(question, "text"),
            "help_text": _source(question, "help_text"),
            "kind": question.kind,
            "required": question.required,
            "attribute": question.attribute,
            "max_choices": question.max_choices if question.kind == "multiple" else None,
            "next": next_key,
            "choices": [_choice_definition(choice) for choice in question.choices.all()]
            if question.has_choices else [],
            "translations": _translations(question),
        })
    return {
        "slug": quiz.slug,
        "title": _source(quiz, "title"),
        "intro": _source(quiz, "intro"),
        "cover_image": quiz.cover_image.name or "",
        "results_heading": _source(quiz, "results_heading"),
        "results_text": _source(quiz, "results_text"),
        "translations": _translations(quiz),
        "recommend_count": quiz.recommend_count,
        "first_question": keys[0] if keys else None,
        "questions": body,
    }


def _choice_definition(choice: Choice) -> dict:
    weights = list(choice.weights.all())
    if choice.next == Choice.Next.QUESTION:
        next_key = f"q{choice.next_question_id}" if choice.next_question_id else None
    elif choice.next == Choice.Next.END:
        next_key = "end"
    else:
        next_key = None
    return {
        "key": choice.key,
        "label": _source(choice, "label"),
        "value": choice.value,
        "image": choice.image.name or "",
        "tag_weights": {w.tag: w.weight for w in weights if w.tag},
        "product_weights": {w.product.sku: w.weight for w in weights if w.product is not None},
        "excluded_tags": list(choice.excluded_tags),
        "required_tags": list(choice.required_tags),
        "next": next_key,
        "translations": _translations(choice),
    }


def quiz_publish(*, quiz: Quiz, by=None) -> QuizVersion:
    """Check the draft (see `quiz_check`) and freeze it as the quiz's next version, which
    shoppers take from now on. Earlier versions stay as they were, so every response keeps
    the version it answered. Publishing twice at once makes two numbered versions, never
    one number twice (the quiz row is locked while numbering)."""
    with transaction.atomic():
        quiz = Quiz.objects.select_for_update().get(pk=quiz.pk)
        questions = quiz_questions(quiz)
        quiz_check(quiz=quiz, questions=questions)
        definition = quiz_definition_build(quiz=quiz)
        last = quiz.versions.aggregate(last=Max("number"))["last"] or 0
        version = QuizVersion.objects.create(quiz=quiz, number=last + 1, definition=definition,
                                             published_by=by)
        if quiz.status != Quiz.Status.PUBLISHED:
            quiz.status = Quiz.Status.PUBLISHED
            quiz.save(update_fields=["status", "updated_at"])
    return version


def quiz_duplicate(*, quiz: Quiz) -> Quiz:
    """A draft copy of the quiz with all its questions, choices, branches and weights (the
    choice images are shared, not copied). Its slug is the original's with "-copy" (and a
    number when taken); it has no versions until published."""
    with transaction.atomic():
        slug = _free_slug(f"{quiz.slug[:70]}-copy")
        texts = text_columns(quiz)
        for code, _name in settings.LANGUAGES:
            column = build_localized_fieldname("title", code)
            if texts[column]:
                with override(code):
                    texts[column] = _("Copy of %(title)s") % {"title": texts[column]}
        copy = Quiz.objects.create(
            slug=slug, cover_image=quiz.cover_image.name, status=Quiz.Status.DRAFT,
            recommend_count=quiz.recommend_count, **texts,
        )
        questions = quiz_questions(quiz)
        new_ids: dict[int | None, Question] = {}
        for question in questions:
            new_ids[question.pk] = Question.objects.create(
                quiz=copy, position=question.position, **text_columns(question),
                kind=question.kind, required=question.required,
                attribute=question.attribute, max_choices=question.max_choices,
                next=question.next,
            )
        for question in questions:
            new = new_ids[question.pk]
            if question.next_question_id in new_ids:
                new.next_question = new_ids[question.next_question_id]
                new.save(update_fields=["next_question"])
            for choice in question.choices.all():
                new_choice = Choice.objects.create(
                    question=new, position=choice.position, **text_columns(choice),
                    value=choice.value, image=choice.image.name,
                    excluded_tags=choice.excluded_tags, required_tags=choice.required_tags,
                    next=choice.next, next_question=new_ids.get(choice.next_question_id),
                )
                ChoiceWeight.objects.bulk_create(
                    ChoiceWeight(choice=new_choice, tag=w.tag, product_id=w.product_id,
                                 weight=w.weight)
                    for w in choice.weights.all()
                )
    return copy


def _free_slug(base: str) -> str:
    taken = set(Quiz.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, number = base, 2
    while slug in taken:
        slug = f"{base}-{number}"
        number += 1
    return slug


def quiz_grid_set(*, quiz: Quiz, weights: Mapping[tuple[int, str], int]) -> int:
    """Make the quiz's tag weights exactly `weights` ({(choice id, tag): weight}); a pair
    that is missing or zero has no weight. Weights toward single products are left alone.
    Every choice must belong to the quiz and every weight be a whole number that fits;
    otherwise InvalidGrid and nothing is written. Returns how many weights changed."""
    choice_ids = set(Choice.objects.filter(question__quiz=quiz).values_list("id", flat=True))
    errors = {}
    for (choice_id, tag), weight in weights.items():
        if choice_id not in choice_ids:
            errors[f"c{choice_id}"] = _("Choice %(id)s is not a choice of this quiz.") % {
                "id": choice_id}
        elif not isinstance(weight, int) or isinstance(weight, bool) \
                or not -MAX_WEIGHT <= weight <= MAX_WEIGHT:
            errors[f"c{choice_id}.{tag}"] = _("The weight must be a whole number between "
                                              "-%(max)d and %(max)d.") % {"max": MAX_WEIGHT}
        elif not TAG_PATTERN.match(tag):
            errors[f"c{choice_id}.{tag}"] = _("“%(tag)s” is not a tag.") % {"tag": tag}
    if errors:
        raise InvalidGrid(_("The grid was not saved: %(problems)s")
                          % {"problems": " ".join(errors.values())}, fields=errors)
    wanted = {key: weight for key, weight in weights.items() if weight}
    with transaction.atomic():
        existing = {
            (w.choice_id, w.tag): w
            for w in ChoiceWeight.objects.select_for_update(of=("self",))
            .filter(choice_id__in=choice_ids).exclude(tag="")
        }
        gone = [w.pk for key, w in existing.items() if key not in wanted]
        changed = [w for key, w in existing.items() if key in wanted and w.weight != wanted[key]]
        for w in changed:
            w.weight = wanted[(w.choice_id, w.tag)]
        new = [ChoiceWeight(choice_id=choice_id, tag=tag, weight=weight)
               for (choice_id, tag), weight in wanted.items() if (choice_id, tag) not in existing]
        ChoiceWeight.objects.filter(pk__in=gone).delete()
        ChoiceWeight.objects.bulk_update(changed, ["weight"])
        ChoiceWeight.objects.bulk_create(new)
    return len(gone) + len(changed) + len(new)


def quiz_grid_import(*, quiz: Quiz, text: str, known_tags: set[str]) -> int:
    """Set the quiz's tag weights from a grid CSV as `quiz_grid_csv` writes it: the columns
    question, choice_id, choice, then one per tag; a blank cell is no weight. Refused whole,
    with every problem named by row and column, when a choice is not one of this quiz's, a
    tag column is not in `known_tags` (the catalog's tags and those already weighted), a
    weight is not a whole number, or a choice appears twice. Returns how many weights
    changed."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if not header or [h.strip() for h in header[:3]] != GRID_FIXED_COLUMNS:
        raise InvalidGrid(_("The file does not look like a mapping grid: its first columns "
                            "must be %(columns)s.") % {"columns": ", ".join(GRID_FIXED_COLUMNS)},
                          fields={"header": _("Expected %(columns)s.")
                                  % {"columns": ", ".join(GRID_FIXED_COLUMNS)}})
    tags = [h.strip() for h in header[3:]]
    errors: dict[str, str] = {}
    for column, tag in enumerate(tags, start=4):
        if tag not in known_tags:
            errors[f"header.{column}"] = _("Column %(column)d: “%(tag)s” is not a tag of the "
                                           "catalog.") % {"column": column, "tag": tag}
    duplicated = {tag for tag in tags if tags.count(tag) > 1}
    for tag in sorted(duplicated):
        errors[f"header.{tag}"] = _("The tag “%(tag)s” has two columns.") % {"tag": tag}
    choice_ids = set(Choice.objects.filter(question__quiz=quiz).values_list("id", flat=True))
    weights: dict[tuple[int, str], int] = {}
    seen: set[int] = set()
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        raw_id = row[1].strip() if len(row) > 1 else ""
        try:
            choice_id = int(raw_id.removeprefix("c"))
        except ValueError:
            errors[f"row.{number}"] = _("Row %(row)d: “%(id)s” is not a choice id.") % {
                "row": number, "id": raw_id}
            continue
        if choice_id not in choice_ids:
            errors[f"row.{number}"] = _("Row %(row)d: choice %(id)s is not a choice of this "
                                        "quiz.") % {"row": number, "id": choice_id}
            continue
        if choice_id in seen:
            errors[f"row.{number}"] = _("Row %(row)d: choice %(id)s appears twice.") % {
                "row": number, "id": choice_id}
            continue
        seen.add(choice_id)
        if len(row) > len(header):
            errors[f"row.{number}"] = _("Row %(row)d has more cells than the header has "
                                        "columns.") % {"row": number}
            continue
        for tag, cell in zip(tags, row[3:], strict=False):
            cell = cell.strip()
            if not cell:
                continue
            try:
                weight = int(cell)
            except ValueError:
                errors[f"row.{number}.{tag}"] = _(
                    "Row %(row)d, %(tag)s: “%(cell)s” is not a whole number."
                ) % {"row": number, "tag": tag, "cell": cell}
                continue
            if not -MAX_WEIGHT <= weight <= MAX_WEIGHT:
                errors[f"row.{number}.{tag}"] = _(
                    "Row %(row)d, %(tag)s: the weight must be between -%(max)d and %(max)d."
                ) % {"row": number, "tag": tag, "max": MAX_WEIGHT}
                continue
            weights[(choice_id, tag)] = weight
    if errors:
        raise InvalidGrid(
            ngettext("Nothing was imported: %(problems)s",
                     "Nothing was imported (%(count)d problems): %(problems)s",
                     len(errors)) % {"count": len(errors), "problems": " ".join(errors.values())},
            fields=errors)
    # Only the file's cells change: choices missing from it and tags without a column keep
    # their weights.
    file_tags = set(tags)
    merged = {
        (choice_id, tag): weight
        for choice_id, tag, weight in ChoiceWeight.objects
        .filter(choice__question__quiz=quiz).exclude(tag="")
        .values_list("choice_id", "tag", "weight")
        if not (choice_id in seen and tag in file_tags)
    }
    merged.update(weights)
    return quiz_grid_set(quiz=quiz, weights=merged)
