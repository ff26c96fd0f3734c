"""What a promoter's thank-you page shows to share: the referral link and share buttons of the
referrals part of this app (`referral_share_get` and `referrals/includes/share.html`)."""

from loyalty.selectors import activity_points_preview
from referrals.selectors import referral_share_get


def promoter_share_context(request, customer) -> dict:
    return {"share": referral_share_get(customer=customer),
            "referral_points": activity_points_preview(activity_kind="referral_converted")}
