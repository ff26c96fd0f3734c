"""The API's JSON parser: DRF's, with limits, so a hostile body is a 400 in the error shape
rather than a 500 further in."""

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

# Deeper than any body Flywheel takes (a quiz's answers are 3 deep).
MAX_DEPTH = 32


def json_problem(data) -> str | None:
    """Why a parsed JSON document can't be taken: too deep, or text no database can store
    (NUL characters, lone surrogates). None when it is fine."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return _("The JSON is nested more than %(depth)d levels deep.") % {"depth": MAX_DEPTH}
        if isinstance(value, dict):
            stack.extend((key, depth) for key in value)
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, str):
            if "\x00" in value:
                return _("Text may not contain NUL characters (\\u0000).")
            try:
                value.encode()
            except UnicodeEncodeError:
                return _("Text may not contain lone surrogates (\\ud800-\\udfff).")
    return None


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("The JSON is nested too deeply.")) from None
        problem = json_problem(data)
        if problem:
            raise ParseError(problem)
        return data
