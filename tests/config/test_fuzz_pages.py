"""Hostile input to the shopper's pages (the forms and the links in e-mails), as a browser or a
bot can send it: form fields holding anything (NUL, invalid UTF-8, bidi overrides, very long
text, a list where one value is expected) and path segments holding anything. Whatever
arrives, the answer is a page, a redirect or a 4xx, never a 500. A fixed number of examples
per page, derandomized, so CI runs the same cases every time; on PostgreSQL too, which refuses
NUL in text where SQLite stores it."""

from urllib.parse import quote, urlencode

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import (
    CustomerFactory,
    NpsInvitationFactory,
    QuizVersionFactory,
    UserFactory,
    skin_quiz_definition,
)
from tests.referrals.nps_support import token_of

pytestmark = pytest.mark.django_db

EXAMPLES = 60

NASTY = st.sampled_from([
    "", " ", "\x00", "a\x00b", "\u202eevil", "𝕳𝖊𝖑𝖑𝖔", "🙂" * 50, "' OR 1=1 --",
    "<script>alert(1)</script>", "../../etc/passwd", "%s%n", "9" * 400, "-1", "NaN", "1e30",
    "9999-12-31", "0000-00-00", "2024-02-30", "x" * 5000, "ada@example.com", "a@b", "on",
    "yes", "c1", "c5", "3", "tr", "fa", "zh-hant", "//evil.example.com", "https://evil.example",
    "javascript:alert(1)",
])
# As bytes, so a value can be what no UTF-8 encoder writes (a lone surrogate, \xff).
VALUES = (NASTY.map(str.encode) | st.text(max_size=30).map(str.encode)
          | st.binary(max_size=30) | st.sampled_from([b"\xff\xfe", b"\xed\xa0\x80", b"%"]))


def form(fields: list[str]):
    """Form bodies with the page's own fields, each given zero to three times."""
    return st.lists(
        st.tuples(st.sampled_from(fields), VALUES), max_size=8,
    ).map(lambda pairs: urlencode([(k.encode(), v) for k, v in pairs]))


SEGMENT = (NASTY | st.text(min_size=1, max_size=30)).filter(lambda s: "/" not in s).map(
    lambda s: quote(s.encode("utf-8", "surrogatepass"), safe=""))

FUZZ = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def post(client: Client, path: str, body: str):
    return client.generic("POST", path, body,
                          content_type="application/x-www-form-urlencoded")


def assert_answered(response) -> None:
    assert response.status_code < 500, response.content[:300]


@FUZZ
@given(body=form(["language", "next"]))
def test_the_language_switcher(body):
    assert_answered(post(Client(), "/language/", body))


@FUZZ
@given(body=form(["email", "first_name", "last_name", "password1", "password2",
                  "accepts_marketing", "birthday", "language"]))
def test_signing_up(body):
    assert_answered(post(Client(), "/account/signup/", body))


@FUZZ
@given(body=form(["username", "password", "next"]))
def test_logging_in(body):
    assert_answered(post(Client(), "/account/login/", body))


@FUZZ
@given(body=form(["email"]))
def test_asking_for_a_password_reset(body):
    assert_answered(post(Client(), "/account/password-reset/", body))


@FUZZ
@given(uid=SEGMENT, token=SEGMENT, body=form(["new_password1", "new_password2"]))
def test_a_password_reset_link(uid, token, body):
    assert_answered(Client().get(f"/account/reset/{uid}/{token}/"))
    assert_answered(post(Client(), f"/account/reset/{uid}/{token}/", body))


@FUZZ
@given(token=SEGMENT, body=form(["confirm"]))
def test_signup_confirmation_and_unsubscribe_links(token, body):
    client = Client()
    assert_answered(client.get(f"/account/signup/confirm/{token}/"))
    assert_answered(client.get(f"/unsubscribe/{token}/"))
    assert_answered(post(client, f"/unsubscribe/{token}/", body))


@FUZZ
@given(code=SEGMENT, query=form(["utm_source", "ref", "next"]))
def test_a_referral_link(code, query):
    assert_answered(Client().get(f"/r/{code}/?{query}"))


@pytest.fixture
def signed_in():
    user = UserFactory()
    CustomerFactory(user=user, email=user.email, first_name="Ada")
    client = Client()
    client.force_login(user)
    return client


def test_a_signed_in_shoppers_forms(signed_in):
    @FUZZ
    @given(body=form(["accepts_marketing", "confirm", "language", "next"]),
           page=st.sampled_from(["/account/consent/", "/account/erase/", "/language/"]))
    def fuzz(body, page):
        assert_answered(post(signed_in, page, body))

    fuzz()


def test_pages_that_read_the_query_string(signed_in):
    """The query string holding anything: the timeline's page, where to go after logging in,
    the widget script's language and the demo shop's state."""
    QuizVersionFactory(quiz__slug="skin")

    @FUZZ
    @given(query=form(["page", "next", "lang", "ref", "v", "key", "q"]),
           page=st.sampled_from(["/", "/account/", "/account/login/", "/embed.js",
                                 "/demo-shop/", "/quizzes/skin/", "/quizzes/skin/results/",
                                 "/account/data/"]))
    def fuzz(query, page):
        assert_answered(signed_in.get(f"{page}?{query}"))
        assert_answered(Client().get(f"{page}?{query}"))

    fuzz()


def test_an_nps_survey_link(db):
    invitation = NpsInvitationFactory()
    valid = token_of(invitation)

    @FUZZ
    @given(token=SEGMENT | st.just(valid), body=form(["score", "comment", "reason"]))
    def fuzz(token, body):
        client = Client()
        assert_answered(client.get(f"/nps/{token}/"))
        assert_answered(post(client, f"/nps/{token}/", body))
        assert_answered(client.get(f"/nps/{token}/thanks/"))

    fuzz()


TEXTUAL = [
    {"key": "t1", "text": "Anything else?", "help_text": "", "kind": "text", "required": True,
     "attribute": "notes", "max_choices": None, "next": "t2", "choices": []},
    {"key": "t2", "text": "How oily, 1 to 5?", "help_text": "", "kind": "scale",
     "required": True, "attribute": "oiliness", "max_choices": None, "next": "t3",
     "choices": []},
    {"key": "t3", "text": "Your birthday?", "help_text": "", "kind": "birthday",
     "required": False, "attribute": "", "max_choices": None, "next": "q1", "choices": []},
]


def test_answering_a_quiz(db):
    """Every kind of question: text, scale, birthday, then the skin quiz's single, multiple
    and email questions, each answered with anything."""
    definition = skin_quiz_definition(slug="fuzz", first_question="t1")
    definition["questions"] = TEXTUAL + definition["questions"]
    QuizVersionFactory(quiz__slug="fuzz", definition=definition)
    keys = [question["key"] for question in definition["questions"]]

    @FUZZ
    @given(key=st.sampled_from(keys) | SEGMENT, body=form(["answer", "consent"]),
           answers=st.lists(st.tuples(st.sampled_from(keys), form(["answer", "consent"])),
                            max_size=4))
    def fuzz(key, body, answers):
        client = Client()
        assert_answered(client.post("/quizzes/fuzz/start/"))
        for question, answer in answers:  # somewhere along the path, or off it
            assert_answered(post(client, f"/quizzes/fuzz/q/{question}/", answer))
        assert_answered(client.get(f"/quizzes/fuzz/q/{key}/"))
        assert_answered(post(client, f"/quizzes/fuzz/q/{key}/", body))
        assert_answered(client.get("/quizzes/fuzz/results/"))

    fuzz()
