"""Referral emails, sent from tasks after commit."""

from django.conf import settings

from kernel.emails import email_send
from kernel.links import absolute_url

from ..models import Referral


def referral_friend_email_send(*, referral_id: int) -> bool:
    """Send a referred friend their welcome voucher code; nothing when it has none."""
    referral = (Referral.objects.select_related("voucher__reward", "referrer", "friend")
                .filter(pk=referral_id).first())
    if referral is None or referral.voucher is None:
        return False
    referrer = referral.referrer
    # The reward itself, not its name: the template names it in the e-mail's language.
    email_send(
        to=referral.friend_email, template="referrals/emails/friend_voucher",
        locale=referral.friend.email_language if referral.friend else "",
        context={"code": referral.voucher.code, "offer": referral.voucher.reward,
                 "expires_at": referral.voucher.expires_at,
                 "referrer_name": referrer.first_name or referrer.email.split("@")[0]},
    )
    return True


def referral_flagged_alert_send(*, referral_id: int) -> bool:
    """Email staff that a referral was flagged, with the checks that fired and a link to the
    review queue; nothing when STAFF_ALERT_EMAIL is empty or it is no longer flagged."""
    referral = Referral.objects.select_related("referrer").filter(pk=referral_id).first()
    if not settings.STAFF_ALERT_EMAIL or referral is None \
            or referral.status != Referral.Status.FLAGGED:
        return False
    email_send(
        to=settings.STAFF_ALERT_EMAIL, template="referrals/emails/flagged_alert",
        context={"referral": referral,
                 "checks": referral.checks.exclude(outcome="passed").order_by("stage", "pk"),
                 "url": absolute_url("admin:referrals_flaggedreferral_change", referral.pk)},
    )
    return True
