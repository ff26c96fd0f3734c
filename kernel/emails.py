"""Email addresses as they are stored, and emails to shoppers and staff, HTML and text,
rendered from templates.

Every app sends through `email_send`, from a Celery task scheduled after commit
(`task.delay_on_commit(...)`), never inline in a request or a service's transaction. A template
prefix `loyalty/emails/points_earned` uses three files: `points_earned_subject.txt` (one line),
`points_earned.txt` and `points_earned.html` (which extends `emails/base.html`). Text is
translated in the customer's language (`Customer.email_language`: their chosen language, else
their platform locale mapped onto an offered language), else the shop's default.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from kernel.languages import language_from_locale


def email_normalise(email: str | None) -> str:
    """An email address as Flywheel stores and looks it up: trimmed, lower case."""
    return (email or "").strip().lower()


# Functions returning extra context for every e-mail (the shop's branding: customers registers
# one in its AppConfig.ready(), since the kernel imports no app).
_context_providers: list = []


def email_context_register(provide) -> None:
    """Add a function () -> dict whose result every e-mail's context starts from."""
    if provide not in _context_providers:
        _context_providers.append(provide)


def email_language(locale: str = "") -> str:
    """The language an e-mail to someone with this language or locale is written in."""
    return language_from_locale(locale) or settings.LANGUAGE_CODE


def email_send(*, to: str, template: str, context: dict, locale: str = "",
               headers: dict | None = None, connection=None) -> None:
    """Render `template`'s subject, text and HTML parts with `context` and send them to `to`
    (with extra `headers`, e.g. a marketing e-mail's List-Unsubscribe), over `connection`
    (an open mail connection a batch shares) or a new one."""
    base = {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL}
    for provide in _context_providers:
        base.update(provide())
    context = {**base, **context}
    with translation.override(email_language(locale)):
        subject = " ".join(_render_plain(f"{template}_subject.txt", context).split())
        text = _render_plain(f"{template}.txt", context)
        if context.get("unsubscribe_url"):
            text = (text.rstrip() + "\n\n"
                    + _("Unsubscribe from these e-mails: %(url)s")
                    % {"url": context["unsubscribe_url"]} + "\n")
        html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to], headers=headers,
                                     connection=connection)
    message.attach_alternative(html, "text/html")
    message.send()


def _render_plain(name: str, context: dict) -> str:
    """Render a text template without HTML escaping ("Glow & Co", not "Glow &amp; Co")."""
    return get_template(name).template.render(Context(context, autoescape=False))
