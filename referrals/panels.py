"""The "Refer a friend" panel on the shopper's account page."""

from django.utils.translation import gettext_lazy as _

from kernel.panels import AccountPanel
from loyalty.selectors import activity_points_preview

from . import selectors, services
from .models import Referral

Status = Referral.Status
# What a referrer reads about a friend's referral (staff see the exact status in admin).
SHOPPER_STATUS = {
    Status.SIGNED_UP: _("Joined"),
    Status.PENDING: _("Ordered: waiting for the return window"),
    Status.FLAGGED: _("Ordered: being checked"),
    Status.REWARDED: _("Rewarded"),
    Status.VOID: _("Order refunded"),
    Status.REVERSED: _("Order refunded, reward taken back"),
    Status.BLOCKED: _("Not eligible"),
    Status.REJECTED: _("Not eligible"),
    Status.EXPIRED: _("Expired: no order in time"),
}


def referral_panel_context(request, customer) -> dict | None:
    share = selectors.referral_share_get(customer=customer)
    code = selectors.referrals.referral_code_for_customer(customer=customer)
    services.referral_owner_seen(code=code, ip=request.META.get("REMOTE_ADDR", ""),
                                 user_agent=request.META.get("HTTP_USER_AGENT", "")[:512])
    referrals = selectors.referral_list_for_customer(customer=customer).select_related(
        "friend")[:10]
    return {
        "share": share,
        "stats": selectors.referrer_stats(customer=customer),
        "points": activity_points_preview(activity_kind="referral_converted"),
        "referrals": [{"friend": selectors.referrals.referral_friend_label(r),
                       "status": SHOPPER_STATUS.get(r.status, r.get_status_display())}
                      for r in referrals],
    }


PANEL = AccountPanel(name="referrals", template="referrals/account_panel.html",
                     context=referral_panel_context, order=40)
