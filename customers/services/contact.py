"""The one contact budget for marketing e-mails, and the unsubscribe link each one carries.

Every marketing e-mail (win-back, expiry reminders, NPS invitations, tier and points news) goes
through `marketing_emails_send` (`marketing_email_send` for one), which counts it against the
customer's budget (ContactSettings, set in admin) and adds the unsubscribe link and the
`List-Unsubscribe` and `List-Unsubscribe-Post` headers (RFC 8058 one-click). Transactional
e-mails (a voucher just redeemed, a password reset) call kernel.emails.email_send directly: they
never count and always go."""

import datetime as dt
from dataclasses import dataclass

from django.core import signing
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import ContactSettings, Customer, MarketingContact
from kernel.bulk import insert_new
from kernel.emails import email_send
from kernel.errors import FlywheelError
from kernel.links import absolute_url

from .profiles import consent_set

UNSUBSCRIBE_SALT = "flywheel.customers.unsubscribe"
UNSUBSCRIBED = "unsubscribe"


def unsubscribe_url(*, customer: Customer) -> str:
    """The customer's unsubscribe link: signed over their id, so it can't be guessed."""
    token = signing.dumps(customer.pk, salt=UNSUBSCRIBE_SALT, compress=True)
    return absolute_url("unsubscribe", token)


def customer_unsubscribed(customer: Customer) -> bool:
    """True when the customer's latest marketing answer was our unsubscribe link."""
    return not customer.accepts_marketing and customer.marketing_consent_source == UNSUBSCRIBED


@dataclass(frozen=True)
class MarketingEmail:
    """One marketing e-mail for marketing_emails_send: its cause (`key`), its kind of news,
    its address and its template with the context to render it."""

    customer: Customer
    kind: str
    key: str
    to: str
    template: str
    context: dict


def marketing_email_send(*, customer: Customer, kind: str, key: str, to: str, template: str,
                         context: dict, now: dt.datetime | None = None) -> bool:
    """Send one marketing e-mail when the contact budget allows (marketing_emails_send).
    Returns whether it was sent."""
    return marketing_emails_send(emails=[MarketingEmail(
        customer=customer, kind=kind, key=key, to=to, template=template, context=context,
    )], now=now) == 1


def marketing_emails_send(*, emails: list[MarketingEmail], now: dt.datetime | None = None) -> int:
    """Send marketing e-mails, each when the contact budget allows, in the order given: never
    to an erased or unsubscribed customer, never twice for one `key` (its cause), never past
    the cap. Each carries the unsubscribe link and headers.

    The places are taken first, in a short transaction with the customers' rows locked (in id
    order), so two senders can't both take a customer's last place; the e-mails are sent once
    it has committed, over one connection to the mail server, so a slow mail server holds up
    no one who writes to those customers (an order being applied, say). If one fails to send,
    it and those after it give their places back, those before it stay sent, and the error is
    raised: a retry sends only the rest. A worker that dies between the two steps loses those
    e-mails rather than sending any twice. A batch costs the same few statements however many
    e-mails it holds. Returns how many were sent."""
    chosen = _places_take(emails, now or timezone.now())
    if not chosen:
        return 0  # and no connection to the mail server is opened
    sent = 0
    try:
        with get_connection() as connection:  # opening it may fail too: nothing went then
            for email, customer, _contact in chosen:
                url = unsubscribe_url(customer=customer)
                email_send(to=email.to, template=email.template,
                           locale=customer.email_language,
                           context={**email.context, "unsubscribe_url": url},
                           headers={"List-Unsubscribe": f"<{url}>",
                                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
                           connection=connection)
                sent += 1
    except Exception:
        MarketingContact.objects.filter(
            pk__any=[contact.pk for *_, contact in chosen[sent:]]).delete()
        raise
    return len(chosen)


# What sending reads of a customer locked for it: whether they may get marketing, and their
# language.
_SENDING_FIELDS = ("erased_at", "accepts_marketing", "marketing_consent_source", "language",
                   "locale")


def _places_take(emails: list[MarketingEmail], now: dt.datetime,
                 ) -> list[tuple[MarketingEmail, Customer, MarketingContact]]:
    """The e-mails the budget allows, each with its customer (locked and read afresh) and the
    contact row now holding its place."""
    if not emails:
        return []
    budget = ContactSettings.cached()
    since = now - dt.timedelta(days=budget.marketing_cap_days)
    with transaction.atomic():
        ids = {email.customer.pk for email in emails}
        customers = {c.pk: c for c in Customer.objects.select_for_update()
                     .only(*_SENDING_FIELDS).filter(pk__any=ids).order_by("pk")}
        counted = dict(MarketingContact.objects.filter(customer__any=ids, sent_at__gt=since)
                       .values_list("customer").annotate(sent=Count("pk")).order_by())
        keys = {email.key[:200] for email in emails}
        taken = set(MarketingContact.objects.filter(key__any=keys).values_list("key", flat=True))
        chosen: list[tuple[MarketingEmail, Customer, MarketingContact]] = []
        for email in emails:
            customer, key = customers.get(email.customer.pk), email.key[:200]
            if (customer is None or customer.erased_at is not None
                    or customer_unsubscribed(customer) or key in taken
                    or counted.get(customer.pk, 0) >= budget.marketing_cap):
                continue
            taken.add(key)
            counted[customer.pk] = counted.get(customer.pk, 0) + 1
            chosen.append((email, customer, MarketingContact(
                customer=customer, kind=email.kind, key=key, sent_at=now)))
        # A key another sender took meanwhile is not inserted, and its e-mail not sent.
        insert_new([contact for *_, contact in chosen], key=("key",))
    return [choice for choice in chosen if choice[2].pk is not None]


def customer_unsubscribe(*, token: str) -> Customer:
    """The unsubscribe link was followed: the customer gets no more marketing e-mail (their
    consent is recorded as withdrawn, source "unsubscribe"). Safe to follow twice."""
    try:
        customer_id = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        raise FlywheelError(_("This unsubscribe link is not valid."),
                            code="invalid_link") from None
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise FlywheelError(_("This unsubscribe link is not valid."), code="invalid_link")
    if not customer_unsubscribed(customer):
        # Recorded even when they had not consented: the link is an answer of its own, and
        # it stops the news a member with a login gets without consent too.
        customer.marketing_consent_at = None
        consent_set(customer=customer, accepts_marketing=False, source=UNSUBSCRIBED)
    return customer
