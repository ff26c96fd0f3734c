"""Errors the quizzes services raise; each has a stable code the API shows."""

from django.utils.translation import gettext as _

from kernel.errors import FlywheelError


class InvalidProduct(FlywheelError):
    """Product fields that break a rule; `fields` says which and why."""

    code = "invalid_product"
    status = 400


class InvalidQuiz(FlywheelError):
    """A draft that breaks a building rule; `fields` maps each question's key to its problems."""

    code = "invalid_quiz"
    status = 400


class InvalidGrid(FlywheelError):
    """A mapping grid (or its CSV) with unknown choices or tags, or weights that are not whole
    numbers; `fields` maps each bad row or cell to its problem. Nothing was written."""

    code = "invalid_grid"
    status = 400


class InvalidDefinition(FlywheelError):
    """A quiz definition that can't be taken (unknown kinds, branches to nowhere)."""

    code = "invalid_definition"
    status = 400


class InvalidAnswers(FlywheelError):
    """Answers that break the quiz's rules. `problems` maps each question key to its
    (code, message); `fields` shows the messages under those keys. The error's own code is
    the first problem's code when there is one problem, else "invalid_answers"."""

    code = "invalid_answers"
    status = 400

    def __init__(self, problems: dict[str, tuple[str, str]]):
        self.problems = dict(problems)
        codes = {code for code, _message in self.problems.values()}
        code = codes.pop() if len(codes) == 1 else "invalid_answers"
        messages = [message for _code, message in self.problems.values()]
        message = messages[0] if len(messages) == 1 else _("Some answers are not valid.")
        super().__init__(message, code=code,
                         fields={key: message for key, (_code, message) in problems.items()})

    @classmethod
    def one(cls, question_key: str, code: str, message: str) -> "InvalidAnswers":
        return cls({question_key: (code, str(message))})


class QuizNotFound(FlywheelError):
    code = "quiz_not_found"
    status = 404


class ResponseNotFound(FlywheelError):
    code = "response_not_found"
    status = 404


class ResponseCompleted(FlywheelError):
    """The response is completed; its answers can't change any more."""

    code = "response_completed"
    status = 409
