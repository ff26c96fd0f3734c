"""Loyalty emails, sent from tasks after commit through kernel.emails.email_send."""

from django.db import transaction
from django.utils import timezone, translation

from customers.models import MarketingContact
from customers.services import marketing_email_send
from kernel.emails import email_language
from kernel.links import account_url

from ..models import Redemption, TierChange
from .notifications import email_recipient


def tier_up_email_send(*, change_id: int) -> bool:
    """Tell the customer they reached a tier, with its perks and what the next one needs.

    Once per change: `emailed_at` is claimed with a conditional UPDATE in the transaction that
    sends, so a retried or duplicated task sends nothing (and a failed send rolls the claim
    back for the retry). News: it counts against the contact budget (a customer at the cap
    gets none, and it is not sent later). Only to customers loyalty emails may reach
    (`email_recipient`: a login or marketing consent), and not for a change since undone.
    Returns whether it was sent."""
    change = (TierChange.objects.select_related("account__customer", "to_tier")
              .filter(pk=change_id, is_up=True).first())
    if change is None or change.to_tier is None:
        return False
    customer = change.account.customer
    to = email_recipient(customer=customer)
    if to is None or change.account.tier_id != change.to_tier_id:
        return False
    from ..selectors import tier_progress_get

    # The sentence toward the next tier, and its name, in the language the e-mail speaks.
    with translation.override(email_language(customer.email_language)):
        progress = tier_progress_get(customer=customer)
    with transaction.atomic():
        if not TierChange.objects.filter(pk=change.pk, emailed_at__isnull=True).update(
                emailed_at=timezone.now()):
            return False
        return marketing_email_send(
            customer=customer, kind=MarketingContact.Kind.TIER, key=f"tier_change:{change.pk}",
            to=to, template="loyalty/emails/tier_up",
            context={"customer": customer, "tier": change.to_tier,
                     "from_name": change.from_name, "progress": progress["progress"],
                     "next_tier": progress["next_tier"],
                     "account_url": account_url()},
        )


def winback_email_send(*, redemption_id: int) -> bool:
    """Email the win-back voucher to a customer who still accepts marketing and was not
    erased, within the contact budget. Returns whether it was sent."""
    redemption = (Redemption.objects.select_related("account__customer", "reward")
                  .filter(pk=redemption_id).first())
    if redemption is None:
        return False
    customer = redemption.account.customer
    if not customer.accepts_marketing or customer.erased_at:
        return False
    return marketing_email_send(
        customer=customer, kind=MarketingContact.Kind.WINBACK, key=f"winback:{redemption.pk}",
        to=customer.email, template="loyalty/emails/winback",
        context={"customer": customer, "reward": redemption.reward, "code": redemption.code,
                 "expires_at": redemption.expires_at},
    )
