"""NPS test helpers: the links a customer finds in their survey email."""

import re

from django.urls import reverse

from referrals.nps.tokens import token_make

LINK = re.compile(r"(?:https?://[^/\s]+)?(/nps/[^/\s\"<]+/)")


def nps_link(invitation, score: int | None = None) -> str:
    """The relative address of the invitation's link for `score` (as in the email)."""
    token = token_make(invitation_id=invitation.pk, nonce=invitation.nonce, score=score)
    return reverse("nps_answer", args=[token])


def token_of(invitation, score: int | None = None) -> str:
    return token_make(invitation_id=invitation.pk, nonce=invitation.nonce, score=score)


def links_in(text: str) -> list[str]:
    """The survey page links in an email body, in order."""
    return LINK.findall(text)


BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0"
