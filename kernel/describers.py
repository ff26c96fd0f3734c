"""Words for a shopper: what a timeline activity or a profile answer means, said by the app
that knows. `customers` and `loyalty` show activities and answers but can't import the upper
apps, so quizzes and referrals register describers here from their `AppConfig.ready()` (or
their receivers module):

    describers.register_activity("quiz_completed", quiz_activity_texts)
    describers.register_answer("quiz", quiz_answer_texts)

An activity describer takes a list of activities of its kind and returns {activity.pk: text};
an answer describer takes a list of attributes from its source and returns
{attribute.pk: (question, answer)}. Anything left out keeps its plain label and value.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable

_activity: dict[str, Callable[[list], dict[int, str]]] = {}
_answer: dict[str, Callable[[list], dict[int, tuple[str, str]]]] = {}


def register_activity(kind: str, describe: Callable[[list], dict[int, str]]) -> None:
    _activity[kind] = describe


def register_answer(source_kind: str,
                    describe: Callable[[list], dict[int, tuple[str, str]]]) -> None:
    _answer[source_kind] = describe


def activity_texts(activities: Iterable) -> dict[int, str]:
    """{activity.pk: what it means for the shopper} for the activities a describer knows."""
    by_kind = defaultdict(list)
    for activity in activities:
        by_kind[activity.kind].append(activity)
    texts: dict[int, str] = {}
    for kind, group in by_kind.items():
        if kind in _activity:
            texts.update(_activity[kind](group))
    return texts


def answer_texts(attributes: Iterable) -> dict[int, tuple[str, str]]:
    """{attribute.pk: (the question as asked, the answer in words)} where a describer knows."""
    by_source = defaultdict(list)
    for attribute in attributes:
        by_source[attribute.source_kind].append(attribute)
    texts: dict[int, tuple[str, str]] = {}
    for source, group in by_source.items():
        if source in _answer:
            texts.update(_answer[source](group))
    return texts
