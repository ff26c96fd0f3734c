"""The rules a quiz's draft must follow before it can be published, as a pure function over
plain data, so the publishing service and the admin forms (which check unsaved edits) apply
the very same rules.

A quiz is a graph: each question goes to its default next question (the next in position
order, another question, or the end), and a single-choice answer may branch elsewhere. The
graph must have no cycle, every branch must point at a question of the same quiz, and every
question must be reachable from the first; then every path ends, because it can only move
through finitely many questions without repeating one.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

CHOICE_KINDS = ("single", "multiple")
MIN_CHOICES = 2
END = "end"
MISSING = "missing"  # a branch whose target question was deleted or never picked


@dataclass(frozen=True)
class ChoiceNode:
    label: str
    value: str = ""
    next: str = "follow"  # follow, question or end
    target: str | None = None  # question key when next == "question"; MISSING when none


@dataclass(frozen=True)
class QuestionNode:
    key: str
    text: str
    kind: str = "single"
    required: bool = True
    attribute: str = ""
    max_choices: int | None = None
    next: str = "next"  # next, question or end
    target: str | None = None
    choices: Sequence[ChoiceNode] = field(default_factory=tuple)


@dataclass(frozen=True)
class Problem:
    question: str  # the question's key, or "" for the quiz as a whole
    message: str
    # A draft still being built (no questions yet, a choice question without its choices
    # yet) may be saved; only publishing refuses it.
    incomplete: bool = False


def problems_added(*, before: Sequence[Problem], after: Sequence[Problem],
                   touched: set[str]) -> list[Problem]:
    """The problems an edit may not be saved with: those of the questions it touched, and
    any it causes elsewhere (a loop, a question no longer reached), leaving out a draft's
    incompleteness."""
    known = set(before)
    return [p for p in after
            if not p.incomplete and (p.question in touched or p not in known)]


def quiz_problems(questions: Sequence[QuestionNode]) -> list[Problem]:
    """Everything wrong with a quiz whose questions, in asking order, are `questions`."""
    if not questions:
        return [Problem("", _("The quiz has no questions yet."), incomplete=True)]
    problems: list[Problem] = []
    for question in questions:
        problems += [Problem(question.key, message, incomplete=message == _no_choices(question))
                     for message in _question_problems(question)]
    problems += _graph_problems(questions)
    return problems


def _name(question: QuestionNode) -> str:
    return f"“{question.text}”"


def _no_choices(question: QuestionNode) -> str | None:
    if question.kind in CHOICE_KINDS and not question.choices:
        return _too_few(question)
    return None


def _too_few(question: QuestionNode) -> str:
    return _("%(question)s needs at least %(count)d choices.") % {
        "question": _name(question), "count": MIN_CHOICES}


def _question_problems(question: QuestionNode) -> list[str]:
    name = _name(question)
    problems = []
    has_choices = question.kind in CHOICE_KINDS
    if has_choices and len(question.choices) < MIN_CHOICES:
        problems.append(_too_few(question))
    if not has_choices and question.choices:
        problems.append(_("%(question)s is not a choice question: delete its choices or make "
                          "it single or multiple choice.") % {"question": name})
    if question.max_choices is not None:
        if question.kind != "multiple":
            problems.append(_("%(question)s: only multiple-choice questions have a most number "
                              "of choices.") % {"question": name})
        elif question.max_choices > len(question.choices):
            problems.append(_("%(question)s allows up to %(most)d choices but has only "
                              "%(count)d.") % {"question": name, "most": question.max_choices,
                                               "count": len(question.choices)})
    if has_choices and question.attribute:
        for choice in question.choices:
            if not choice.value.strip():
                problems.append(_("%(question)s writes the profile attribute %(attribute)s: "
                                  "choice “%(choice)s” needs a value.")
                                % {"question": name, "attribute": question.attribute,
                                   "choice": choice.label})
    values = [choice.value.strip() for choice in question.choices if choice.value.strip()]
    for value in sorted({v for v in values if values.count(v) > 1}):
        problems.append(_("%(question)s: two choices have the value “%(value)s”.")
                        % {"question": name, "value": value})
    if question.kind == "multiple" and any(c.next != "follow" for c in question.choices):
        problems.append(_("%(question)s: choices of a multiple-choice question can't branch "
                          "(a shopper may tick several); set where the question goes "
                          "instead.") % {"question": name})
    if question.next == "question" and question.target in (None, MISSING):
        problems.append(_("%(question)s goes to another question, but none is picked.")
                        % {"question": name})
    for choice in question.choices:
        if choice.next == "question" and choice.target in (None, MISSING):
            problems.append(_("%(question)s: choice “%(choice)s” branches to another "
                              "question, but none is picked.")
                            % {"question": name, "choice": choice.label})
    return problems


def question_targets(question: QuestionNode, following: str | None) -> list[str]:
    """Where a shopper can go after `question` (question keys or END), given the key of the
    question after it in order (`following`, None for the last)."""
    if question.next == "question":
        default = question.target or MISSING
    elif question.next == "end" or following is None:
        default = END
    else:
        default = following
    targets = []
    branches = question.kind == "single" and question.choices
    # The default is reached by skipping an optional question, by any answer to a question
    # that does not branch per choice, and by a choice that follows the question.
    if not branches or not question.required or any(c.next == "follow" for c in question.choices):
        targets.append(default)
    if branches:
        for choice in question.choices:
            if choice.next == "question":
                targets.append(choice.target or MISSING)
            elif choice.next == "end":
                targets.append(END)
    return list(dict.fromkeys(targets))


def _graph_problems(questions: Sequence[QuestionNode]) -> list[Problem]:
    by_key = {question.key: question for question in questions}
    keys = [question.key for question in questions]
    edges: dict[str, list[str]] = {}
    problems: list[Problem] = []
    for index, question in enumerate(questions):
        following = keys[index + 1] if index + 1 < len(keys) else None
        edges[question.key] = []
        for target in question_targets(question, following):
            if target in (END, MISSING):
                continue  # MISSING is reported with the question
            if target not in by_key:
                problems.append(Problem(question.key, _(
                    "%(question)s branches to a question of another quiz, or one that no "
                    "longer exists.") % {"question": _name(question)}))
                continue
            edges[question.key].append(target)

    # Cycles: depth-first search, reporting each cycle once with its path.
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    reported: set[frozenset[str]] = set()

    def visit(key: str, path: list[str]) -> None:
        state[key] = 1
        path.append(key)
        for target in edges[key]:
            if state.get(target) == 1:
                cycle = path[path.index(target):]
                if frozenset(cycle) not in reported:
                    reported.add(frozenset(cycle))
                    route = " → ".join(_name(by_key[k]) for k in [*cycle, target])
                    problems.append(Problem(target, _(
                        "The quiz loops and never ends: %(route)s.") % {"route": route}))
            elif target not in state:
                visit(target, path)
        path.pop()
        state[key] = 2

    for key in keys:
        if key not in state:
            visit(key, [])

    reached = {keys[0]}
    frontier = [keys[0]]
    while frontier:
        for target in edges[frontier.pop()]:
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    for question in questions:
        if question.key not in reached:
            problems.append(Problem(question.key, _(
                "%(question)s is never asked: no path from the first question leads to it.")
                % {"question": _name(question)}))
    return problems
