"""The one contact budget for marketing e-mails, and the unsubscribe link each one carries.

Every marketing e-mail (win-back, expiry reminders, NPS invitations, tier and points news) goes
through `marketing_email_send`, which counts it against the customer's budget (ContactSettings,
set in admin) and adds the unsubscribe link and the `List-Unsubscribe` and
`List-Unsubscribe-Post` headers (RFC 8058 one-click). Transactional e-mails (a voucher just
redeemed, a password reset) call kernel.emails.email_send directly: they never count and
always go."""

import datetime as dt

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import ContactSettings, Customer, MarketingContact
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


def marketing_budget_left(*, customer: Customer, now: dt.datetime | None = None) -> int:
    """How many more marketing e-mails the customer may get now."""
    budget = ContactSettings.cached()
    since = (now or timezone.now()) - dt.timedelta(days=budget.marketing_cap_days)
    sent = MarketingContact.objects.filter(customer=customer, sent_at__gt=since).count()
    return max(budget.marketing_cap - sent, 0)


def marketing_email_send(*, customer: Customer, kind: str, key: str, to: str, template: str,
                         context: dict, now: dt.datetime | None = None) -> bool:
    """Send one marketing e-mail when the contact budget allows: never to an erased or
    unsubscribed customer, never twice for one `key` (its cause), never past the cap. The
    e-mail carries the unsubscribe link and headers. The count and the send share a
    transaction (the customer's row locked), so two at once can't both take the last place,
    and a failed send gives its place back. Returns whether it was sent."""
    now = now or timezone.now()
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        if customer.erased_at is not None or customer_unsubscribed(customer):
            return False
        if marketing_budget_left(customer=customer, now=now) <= 0:
            return False
        try:
            with transaction.atomic():
                MarketingContact.objects.create(customer=customer, kind=kind, key=key[:200],
                                                sent_at=now)
        except IntegrityError:
            return False
        url = unsubscribe_url(customer=customer)
        email_send(to=to, template=template, locale=customer.email_language,
                   context={**context, "unsubscribe_url": url},
                   headers={"List-Unsubscribe": f"<{url}>",
                            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
    return True


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
