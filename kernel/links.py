"""Links that leave Flywheel (in emails, share cards, webhooks) are absolute: SITE_URL, this
service's public address, before the path."""

from django.conf import settings
from django.urls import reverse

from kernel.memo import memoized


def absolute_url(name: str, *args) -> str:
    """The absolute address of the URL named `name` with `args`, e.g.
    absolute_url("referral_landing", "ADA7") -> "https://loyalty.example.com/r/ADA7/"."""
    return settings.SITE_URL.rstrip("/") + reverse(name, args=args)


def account_url() -> str:
    """The shopper's account page, absolute: what every email's "see your points" links to
    (worked out once per memo scope: a batch of e-mails shares it)."""
    return memoized("account_url", lambda: absolute_url("account"))
