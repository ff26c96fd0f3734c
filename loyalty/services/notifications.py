"""Loyalty emails: points earned, points expiring soon, voucher issued.

Points earned and points expiring are news: they count against the contact budget and carry
an unsubscribe link (customers.services.marketing_email_send). A voucher just issued is
transactional: it never counts and always goes. All are sent only to a customer who can act
on them: one with a login (they joined the program) or who gave marketing consent. Erased
customers and customers without an email get nothing. Each is sent from a Celery task
scheduled after the commit that caused it, in the customer's language."""

import datetime as dt

from django.utils import translation

from customers.models import Activity, Customer, MarketingContact
from customers.services import MarketingEmail, marketing_email_send, marketing_emails_send
from kernel.emails import email_language, email_send
from kernel.links import account_url
from kernel.memo import memo_scope

from ..models import PointsEntry, Redemption
from ..selectors import points_entry_causes


def email_recipient(*, customer: Customer) -> str | None:
    """The customer's email when loyalty emails may go to them, else None."""
    if customer.erased_at is not None or not customer.email:
        return None
    if customer.user_id is None and not customer.accepts_marketing:
        return None
    return customer.email


def _context(customer: Customer, context: dict) -> dict:
    return {"customer": customer, "account_url": account_url(), **context}


def _send(customer: Customer, template: str, context: dict,
          marketing: tuple[str, str] | None = None) -> bool:
    """Send to a customer loyalty emails may reach; `marketing` (kind, key) makes it news that
    counts against the contact budget and carries the unsubscribe link."""
    to = email_recipient(customer=customer)
    if to is None:
        return False
    context = _context(customer, context)
    if marketing:
        kind, key = marketing
        return marketing_email_send(customer=customer, kind=kind, key=key, to=to,
                                    template=template, context=context)
    email_send(to=to, template=template, locale=customer.email_language, context=context)
    return True


# What a points e-mail reads of each entry and the rows it joins (the activity whole, for the
# describers of other apps): the rows whole cost more to read than the e-mail to render.
_EARNED_FIELDS = (
    "amount", "kind", "key", "reason", "refund", "redemption", "activity", "order__name",
    "order__external_id", "lot__held_until", "lot__released_at", "account__balance",
    "account__pending", "account__customer__email", "account__customer__first_name",
    "account__customer__erased_at", "account__customer__user", "account__customer__language",
    "account__customer__locale", "account__customer__accepts_marketing",
)


def points_earned_emails_send(*, entry_ids: list[int]) -> int:
    """Tell each customer what they just earned, one email for all of their entries among
    these (an order's points and the welcome points of the same batch, say), and what is
    pending until the return window closes: news, sent together within the contact budget
    (marketing_emails_send). Returns how many emails went out."""
    entries = (PointsEntry.objects.select_related("account__customer", "order", "lot", "activity")
               .only(*_EARNED_FIELDS).filter(pk__any=entry_ids).order_by("pk"))
    earned: dict[int, list[PointsEntry]] = {}
    for entry in entries:
        earned.setdefault(entry.account.customer_id, []).append(entry)
    causes = _causes([group for group in earned.values() if len(group) > 1])
    emails = []
    with memo_scope():  # the contact budget and the branding, read once for the batch
        for group in earned.values():
            account = group[0].account
            to = email_recipient(customer=account.customer)
            if to is None:
                continue
            context: dict = {"points": sum(entry.amount for entry in group),
                             "balance": account.balance, "pending": account.pending}
            if len(group) == 1:
                context.update(order=group[0].order, held_until=_held_until(group[0]))
            else:
                context["rows"] = [{"points": entry.amount, "cause": causes[entry.pk],
                                    "held_until": _held_until(entry)} for entry in group]
            emails.append(MarketingEmail(
                customer=account.customer, kind=MarketingContact.Kind.POINTS,
                key="points_entry:" + ",".join(str(entry.pk) for entry in group), to=to,
                template="loyalty/emails/points_earned",
                context=_context(account.customer, context)))
        return marketing_emails_send(emails=emails)


def _held_until(entry: PointsEntry) -> dt.datetime | None:
    lot = getattr(entry, "lot", None)
    return lot.held_until if lot and lot.is_held else None


def _causes(groups: list[list[PointsEntry]]) -> dict[int, str]:
    """{entry id: its cause in its customer's e-mail language}, one pass per language."""
    by_language: dict[str, list[PointsEntry]] = {}
    for group in groups:
        language = email_language(group[0].account.customer.email_language)
        by_language.setdefault(language, []).extend(group)
    causes: dict[int, str] = {}
    for language, entries in by_language.items():
        with translation.override(language):
            causes.update((entry.pk, cause) for entry, cause in points_entry_causes(entries))
    return causes


def points_expiring_email_send(*, customer_id: int, activity_ids: list[int]) -> bool:
    """Warn the customer about the points the reminder activities announced."""
    customer = Customer.objects.filter(pk=customer_id).first()
    activities = list(Activity.objects.filter(pk__any=activity_ids, customer_id=customer_id)
                      .order_by("data__expires_at"))
    if customer is None or not activities:
        return False
    rows = [{"points": a.data.get("points", 0),
             "expires_at": dt.datetime.fromisoformat(a.data["expires_at"])}
            for a in activities if a.data.get("expires_at")]
    return _send(customer, "loyalty/emails/points_expiring", {
        "rows": rows, "total": sum(row["points"] for row in rows),
    }, marketing=(MarketingContact.Kind.EXPIRY,
                  "expiry:" + ",".join(str(a.pk) for a in activities)))


def voucher_issued_email_send(*, redemption_id: int) -> bool:
    """Send the customer their new voucher code."""
    redemption = (Redemption.objects.select_related("reward", "account__customer")
                  .filter(pk=redemption_id).first())
    if redemption is None:
        return False
    return _send(redemption.account.customer, "loyalty/emails/voucher_issued", {
        "redemption": redemption, "reward": redemption.reward,
    })
