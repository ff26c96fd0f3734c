"""The tokens in an invitation's links: signed with SECRET_KEY over the invitation's id, its
random nonce and (for the eleven score links) the score.

Nobody can make or alter one without the key; rotating an invitation's nonce revokes its links;
expiry is the invitation's `expires_at`, checked by the service that reads the token.
"""

from dataclasses import dataclass

from django.core import signing

SALT = "referrals.nps.answer"


@dataclass(frozen=True, slots=True)
class TokenData:
    invitation_id: int
    nonce: str
    score: int | None


def token_make(*, invitation_id: int, nonce: str, score: int | None = None) -> str:
    return signing.dumps({"i": invitation_id, "n": nonce, "s": score}, salt=SALT, compress=False)


def token_read(token: str) -> TokenData | None:
    """The token's contents, or None when it isn't one of ours."""
    try:
        data = signing.loads(token, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict):
        return None
    invitation_id, nonce, score = data.get("i"), data.get("n"), data.get("s")
    if not isinstance(invitation_id, int) or not isinstance(nonce, str):
        return None
    if score is not None and (not isinstance(score, int) or not 0 <= score <= 10):
        return None
    return TokenData(invitation_id=invitation_id, nonce=nonce, score=score)
