"""The shape of a published quiz (`QuizVersion.definition`): plain JSON, frozen at publishing.

The admin side builds it from the draft models (Quiz, Question, Choice) when staff publish; the
shopper side (pages, API, engine) reads only this, so a response always means what the version
it answered meant.

    {
      "slug": "skin-routine", "title": "...", "intro": "...", "cover_image": "quizzes/covers/x.jpg",
      "results_heading": "...", "results_text": "...", "recommend_count": 3,
      "translations": {"tr": {"title": "...", "intro": "..."}, "fa": {...}, ...},
                                                   # optional: the texts in other languages
      "first_question": "q1",                      # key of the first question
      "questions": [                               # in position order
        {
          "key": "q1",                             # stable within the version ("q" + question pk)
          "text": "What's your skin type?", "help_text": "",
          "kind": "single",              # single, multiple, scale, text, email or birthday
          "required": true,
          "attribute": "skin_type",                # profile attribute it writes, or ""
          "max_choices": null,                     # multiple choice: most choices allowed, or null
          "next": "q2",                            # where every answer goes unless a choice says
                                                   # otherwise: a question key, or null for the end
          "translations": {"tr": {"text": "...", "help_text": "..."}},  # optional
          "choices": [                             # single / multiple only; [] for other kinds
            {
              "key": "c7",                         # "c" + choice pk
              "label": "Oily", "value": "oily", "image": "quizzes/choices/oily.png",
              "tag_weights": {"oily-skin": 3, "rich": -2},
              "product_weights": {"SKU-123": 5},
              "excluded_tags": ["fragrance"],      # products with these tags are removed
              "required_tags": [],                 # products lacking these tags are removed
              "next": "q3",                        # optional branch: a question key, "end", or
                                                   # absent/null to follow the question's "next"
              "translations": {"tr": {"label": "..."}}   # optional
            }
          ]
        }
      ]
    }

Scale questions take an integer answer 1-5; text, email and birthday questions take a string
(email capture comes with an unticked marketing-consent checkbox; birthday is YYYY-MM-DD).
Image paths are storage names under MEDIA_ROOT ("" when none).

Texts: the plain `title`, `text`, `label`... are in the source language (English, the
`_en` columns staff fill in admin); `translations` holds, per language code ("tr", "fa",
"zh-hant"), the texts staff translated (blank ones are left out), frozen with the version, so
each language's shoppers keep what they saw. Definitions published before quizzes were
translated have no `translations`: every language reads the source texts. `quiz_localize`
picks one language's texts from a parsed definition, falling back per text.
"""

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from quizzes.errors import InvalidAnswers, InvalidDefinition

SINGLE, MULTIPLE, SCALE, TEXT, EMAIL, BIRTHDAY = (
    "single", "multiple", "scale", "text", "email", "birthday")
CHOICE_KINDS = frozenset({SINGLE, MULTIPLE})
KINDS = frozenset({SINGLE, MULTIPLE, SCALE, TEXT, EMAIL, BIRTHDAY})
SCALE_MIN, SCALE_MAX = 1, 5
TEXT_MAX_LENGTH = 255
END = "end"
SOURCE_LANGUAGE = "en"

# language -> field -> text, e.g. {"tr": {"label": "Kuru"}}
Translations = Mapping[str, Mapping[str, str]]


@dataclass(frozen=True, slots=True)
class ChoiceDef:
    key: str
    label: str
    value: str = ""
    image: str = ""
    tag_weights: Mapping[str, int] = field(default_factory=dict)
    product_weights: Mapping[str, int] = field(default_factory=dict)
    excluded_tags: frozenset[str] = frozenset()
    required_tags: frozenset[str] = frozenset()
    # A question key, END, or None to follow the question's `next`.
    next: str | None = None
    translations: Translations = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class QuestionDef:
    key: str
    text: str
    kind: str
    help_text: str = ""
    required: bool = True
    attribute: str = ""
    max_choices: int | None = None
    next: str | None = None
    choices: tuple[ChoiceDef, ...] = ()
    translations: Translations = field(default_factory=dict)

    def choice(self, key: str) -> ChoiceDef | None:
        return next((choice for choice in self.choices if choice.key == key), None)

    @property
    def has_choices(self) -> bool:
        return self.kind in CHOICE_KINDS


@dataclass(frozen=True, slots=True)
class QuizDef:
    slug: str
    title: str
    first_question: str | None
    questions: tuple[QuestionDef, ...]
    intro: str = ""
    cover_image: str = ""
    results_heading: str = ""
    results_text: str = ""
    recommend_count: int = 3
    translations: Translations = field(default_factory=dict)
    # Set on a localized copy (`quiz_localize`): each source label -> the choices that have it
    # with their label in that language ((key, label), ...), for the reasons a completed
    # response keeps in the source language ("Dry" may be a skin type and a climate).
    labels: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)

    def question(self, key: str) -> QuestionDef | None:
        return next((question for question in self.questions if question.key == key), None)

    def question_get(self, key: str) -> QuestionDef:
        """The question with this key, which the quiz has (answers were cleaned against it)."""
        question = self.question(key)
        if question is None:
            raise KeyError(key)
        return question


@dataclass(frozen=True, slots=True)
class Answer:
    """A checked answer: the chosen choice keys (in the question's order) or a value."""

    choice_keys: tuple[str, ...] = ()
    value: str = ""


def _int_map(data) -> dict[str, int]:
    return {str(k): int(v) for k, v in (data or {}).items()}


def _translations(data) -> dict[str, dict[str, str]]:
    """The `translations` block, checked: language -> field -> text, blanks left out."""
    return {str(language): {str(name): str(text) for name, text in texts.items() if text}
            for language, texts in (data or {}).items()}


def definition_parse(data: Mapping) -> QuizDef:
    """The definition JSON as dataclasses, checked: unique keys, known kinds, and every
    `next` pointing at a question of the quiz (or the end). Raises InvalidDefinition."""
    try:
        questions = tuple(
            QuestionDef(
                key=str(q["key"]), text=str(q.get("text", "")), kind=str(q.get("kind", SINGLE)),
                help_text=str(q.get("help_text") or ""), required=bool(q.get("required", True)),
                attribute=str(q.get("attribute") or ""),
                max_choices=int(q["max_choices"]) if q.get("max_choices") else None,
                next=q.get("next") or None,
                choices=tuple(
                    ChoiceDef(
                        key=str(c["key"]), label=str(c.get("label", "")),
                        value=str(c.get("value") or ""), image=str(c.get("image") or ""),
                        tag_weights=_int_map(c.get("tag_weights")),
                        product_weights=_int_map(c.get("product_weights")),
                        excluded_tags=frozenset(c.get("excluded_tags") or ()),
                        required_tags=frozenset(c.get("required_tags") or ()),
                        next=c.get("next") or None,
                        translations=_translations(c.get("translations")),
                    )
                    for c in q.get("choices") or ()
                ),
                translations=_translations(q.get("translations")),
            )
            for q in data.get("questions") or ()
        )
        quiz = QuizDef(
            slug=str(data.get("slug", "")), title=str(data.get("title", "")),
            intro=str(data.get("intro") or ""), cover_image=str(data.get("cover_image") or ""),
            results_heading=str(data.get("results_heading") or ""),
            results_text=str(data.get("results_text") or ""),
            recommend_count=max(1, int(data.get("recommend_count") or 3)),
            first_question=data.get("first_question") or (questions[0].key if questions else None),
            questions=questions,
            translations=_translations(data.get("translations")),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidDefinition(_("The quiz definition is malformed: %(error)s")
                                % {"error": exc}) from exc
    keys = [question.key for question in quiz.questions]
    problems = []
    if len(set(keys)) != len(keys):
        problems.append(_("question keys repeat"))
    for question in quiz.questions:
        if question.kind not in KINDS:
            problems.append(_("%(q)s has an unknown kind") % {"q": question.key})
        targets = [question.next, *(choice.next for choice in question.choices)]
        if any(t not in (None, END) and t not in keys for t in targets):
            problems.append(_("%(q)s leads to an unknown question") % {"q": question.key})
    if quiz.first_question is not None and quiz.first_question not in keys:
        problems.append(_("the first question is unknown"))
    if problems:
        raise InvalidDefinition(_("The quiz definition is malformed: %(error)s")
                                % {"error": "; ".join(problems)})
    return quiz


def _text(source: str, translations: Translations, name: str,
          languages: Sequence[str]) -> str:
    """The first language of `languages` that has this text (the source language's is
    `source`); the source text when none has."""
    for language in languages:
        text = source if language == SOURCE_LANGUAGE else translations.get(language, {}).get(name)
        if text:
            return text
    return source


def quiz_localize(quiz: QuizDef, languages: Sequence[str]) -> QuizDef:
    """The quiz with its texts in the first of `languages` (the shopper's, then the fallbacks)
    that has each one, text by text: a blank translation shows the next language's. Keys,
    kinds, values, weights and branches are the same; `labels` maps the source labels to the
    shown ones (see `reason_shown`)."""
    if not languages or languages[0] == SOURCE_LANGUAGE:
        return quiz
    labels: dict[str, tuple[tuple[str, str], ...]] = {}

    def choice_local(choice: ChoiceDef) -> ChoiceDef:
        label = _text(choice.label, choice.translations, "label", languages)
        labels[choice.label] = (*labels.get(choice.label, ()), (choice.key, label))
        return replace(choice, label=label)

    questions = tuple(
        replace(question,
                text=_text(question.text, question.translations, "text", languages),
                help_text=_text(question.help_text, question.translations, "help_text",
                                languages),
                choices=tuple(choice_local(choice) for choice in question.choices))
        for question in quiz.questions
    )
    texts = {name: _text(getattr(quiz, name), quiz.translations, name, languages)
             for name in ("title", "intro", "results_heading", "results_text")}
    return replace(quiz, questions=questions, labels=labels, **texts)


def reason_shown(quiz: QuizDef, reason: str, chosen: Callable[[], set[str]]) -> str:
    """A recommendation's reason (a chosen answer's source label) as `quiz`, a localized
    copy, shows it. When two choices share the source label but not the shown one, the
    shopper's: `chosen()` gives the keys of the choices they picked (asked only then)."""
    options = quiz.labels.get(reason)
    if not options:
        return reason
    if len({label for _key, label in options}) > 1:
        picked = chosen()
        return next((label for key, label in options if key in picked), options[0][1])
    return options[0][1]


def next_question_key(question: QuestionDef, answer: Answer | None) -> str | None:
    """Where the shopper goes after this question: the branch of the first chosen choice (in
    the question's order) that has one, else the question's `next`; None is the end. A
    skipped (optional) question follows the question's `next`."""
    target = question.next
    if answer is not None:
        for choice in question.choices:
            if choice.key in answer.choice_keys and choice.next:
                target = choice.next
                break
    return None if target in (None, END) else target


def path_walk(quiz: QuizDef, answers: Mapping[str, Answer]) -> tuple[list[str], str | None]:
    """The shopper's path: the questions answered so far in the order the branches lead, and
    the question they are on now (None once the path reaches the end). An optional question
    that was skipped counts as answered when `answers` holds an empty Answer for it."""
    path: list[str] = []
    key = quiz.first_question
    while key is not None and key not in path:
        question = quiz.question(key)
        if question is None or key not in answers:
            return path, key
        path.append(key)
        key = next_question_key(question, answers[key])
    return path, None


def _error(code: str, message: str) -> tuple[str, str]:
    return code, str(message)


def answer_clean(question: QuestionDef, raw) -> Answer:
    """Check one raw answer against its question and return it clean. Choice questions take a
    choice key or a list of them; scale an integer 1-5; text, email and birthday a string
    (birthday YYYY-MM-DD). An empty answer to an optional question is an empty Answer.
    Raises InvalidAnswers naming the question, with a stable code."""

    def fail(code: str, message: str):
        raise InvalidAnswers.one(question.key, code, message)

    if raw is None or raw == "" or raw == []:
        if question.required:
            fail("answer_required", _("This question needs an answer."))
        return Answer()
    if question.has_choices:
        keys = [raw] if isinstance(raw, str | int) else raw
        if not isinstance(keys, list | tuple) or not all(isinstance(k, str | int) for k in keys):
            fail("invalid_answer", _("Send a choice key or a list of choice keys."))
        keys = [str(k) for k in keys]
        unknown = [k for k in keys if question.choice(k) is None]
        if unknown:
            fail("unknown_choice", _("“%(choice)s” is not a choice of this question.")
                 % {"choice": unknown[0]})
        keys = [choice.key for choice in question.choices if choice.key in keys]
        limit = 1 if question.kind == SINGLE else question.max_choices
        if limit is not None and len(keys) > limit:
            fail("too_many_choices", _("Choose at most %(n)d.") % {"n": limit})
        return Answer(choice_keys=tuple(keys))
    if not isinstance(raw, str | int) or isinstance(raw, bool):
        fail("invalid_answer", _("Send a single value."))
    text = str(raw).strip()
    if question.kind == SCALE:
        if not text.isdigit() or not SCALE_MIN <= int(text) <= SCALE_MAX:
            fail("invalid_scale", _("Choose a number from %(low)d to %(high)d.")
                 % {"low": SCALE_MIN, "high": SCALE_MAX})
        return Answer(value=str(int(text)))
    if len(text) > TEXT_MAX_LENGTH:
        fail("invalid_answer", _("Keep it under %(n)d characters.") % {"n": TEXT_MAX_LENGTH})
    if not text:
        return answer_clean(question, None)
    if question.kind == EMAIL:
        try:
            validate_email(text)
        except ValidationError:
            fail("invalid_email", _("Enter a valid email address."))
        return Answer(value=text.lower())
    if question.kind == BIRTHDAY:
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            fail("invalid_birthday", _("Enter a date as YYYY-MM-DD."))
        if not dt.date(1900, 1, 1) <= day <= dt.date.today():
            fail("invalid_birthday", _("Enter a birthday between 1900 and today."))
        return Answer(value=day.isoformat())
    return Answer(value=text)


def answers_clean(
    quiz: QuizDef, raw_answers: Mapping[str, object], *, submitted=None,
) -> dict[str, Answer]:
    """Check a whole set of answers (question key -> raw answer) and return them clean, in
    path order. Every problem is reported, each under its question's key: an unknown
    question, an answer to a question that is not on the shopper's path, a missing required
    answer, or whatever `answer_clean` refuses. A set that does not reach the end raises
    `answer_required` for the question the path stops at. `submitted` (default: every key)
    limits the "not on the path" and "unknown question" checks to the keys the shopper sent
    now, so earlier answers that a new branch leaves behind are simply dropped."""
    submitted = set(raw_answers if submitted is None else submitted)
    errors: dict[str, tuple[str, str]] = {}
    for key in submitted:
        if quiz.question(key) is None:
            errors[key] = _error("unknown_question", _("There is no such question."))
    clean: dict[str, Answer] = {}
    key = quiz.first_question
    while key is not None and key not in clean:
        question = quiz.question(key)
        try:
            answer = answer_clean(question, raw_answers.get(key))
        except InvalidAnswers as exc:
            errors.update(exc.problems)
            answer = Answer()
        clean[key] = answer
        key = next_question_key(question, answer)
    for key in submitted:
        if key not in clean and key not in errors:
            errors[key] = _error("not_on_path",
                                 _("This question is not on the path your answers take."))
    if errors:
        raise InvalidAnswers(errors)
    return clean


def answer_attribute_value(question: QuestionDef, answer: Answer) -> str:
    """The profile attribute value an answer writes: the chosen choices' values (or labels,
    when a choice has no value) joined by commas, or the answer's value."""
    if question.has_choices:
        return ",".join(
            (choice.value or choice.label)
            for choice in question.choices if choice.key in answer.choice_keys
        )
    return answer.value
