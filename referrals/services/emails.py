"""Referral emails, sent from tasks after commit."""

from customers.emails import email_send

from ..models import Referral


def referral_friend_email_send(*, referral_id: int) -> bool:
    """Send a referred friend their welcome voucher code; nothing when it has none."""
    referral = (Referral.objects.select_related("voucher__reward", "referrer", "friend")
                .filter(pk=referral_id).first())
    if referral is None or referral.voucher is None:
        return False
    referrer = referral.referrer
    email_send(
        to=referral.friend_email, template="referrals/emails/friend_voucher",
        locale=referral.friend.locale if referral.friend else "",
        context={"code": referral.voucher.code, "offer": referral.voucher.reward.name,
                 "expires_at": referral.voucher.expires_at,
                 "referrer_name": referrer.first_name or referrer.email.split("@")[0]},
    )
    return True
