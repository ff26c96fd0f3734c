"""Shopper pages for loyalty: the account panel's data, and redeeming with a confirmation step.

A shopper only ever reaches their own customer profile (request.user.customer): no page takes
a customer or account id, so nobody can see or spend another customer's points."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kernel.errors import FlywheelError
from kernel.shoppers import shopper_page_required

from . import selectors, services
from .models import Redemption

HISTORY_PAGE_SIZE = 10
VOUCHERS_SHOWN = 20


def account_panel_context(request, customer) -> dict:
    """The loyalty panel on /account/: points, tier and progress, expiring points, history,
    rewards (those they can afford highlighted) and their vouchers."""
    summary = selectors.loyalty_summary_get(customer=customer)
    balance = summary["balance"]
    tier = selectors.tier_get(customer=customer)
    rewards = []
    for reward in selectors.reward_list_available().select_related("min_tier"):
        unlocked = services.reward_tier_allows(reward=reward, tier=tier)
        rewards.append({"reward": reward, "unlocked": unlocked,
                        "affordable": unlocked and balance >= reward.cost,
                        "missing": max(reward.cost - balance, 0)})
    now = timezone.now()
    vouchers = []
    for voucher in selectors.voucher_list(customer=customer)[:VOUCHERS_SHOWN]:
        status = voucher.current_status(now)
        vouchers.append({"voucher": voucher, "status": status,
                         "label": Redemption.Status(status).label})
    history = Paginator(selectors.points_entry_list(customer=customer),
                        HISTORY_PAGE_SIZE).get_page(request.GET.get("points_page"))
    return {
        "summary": summary,
        "history": history,
        "history_rows": selectors.points_entry_causes(history.object_list),
        "rewards": rewards,
        "vouchers": vouchers,
        "issued": Redemption.Status.ISSUED,
        "new_voucher": int(new) if (new := request.GET.get("new_voucher", "")).isdigit() else None,
        "held": Redemption.Status.HELD,
    }


@login_required
def reward_redeem(request, reward_id: int):
    """GET: what the reward costs and what would be left, with a confirm button.
    POST (CSRF): redeem it once (the form's key makes a double submit return the same
    voucher), then back to the account with the code."""
    customer = shopper_page_required(request)
    reward = selectors.reward_list_available().filter(pk=reward_id).first()
    if reward is None:
        raise Http404(_("This reward is not available."))
    balance = selectors.balance_get(customer=customer)["balance"]
    error = ""
    if request.method == "POST":
        try:
            redemption = services.redemption_create(
                customer=customer, reward=reward, key=request.POST.get("key", "")[:200])
        except FlywheelError as exc:
            error = exc.message
        else:
            messages.success(request, _("Done! Your voucher code for %(reward)s is %(code)s.")
                             % {"reward": reward.name, "code": redemption.code})
            # The new code in view and focused (the account page scrolls to it, autofocus).
            return redirect(reverse("account")
                            + f"?new_voucher={redemption.pk}#voucher-{redemption.pk}")
    return render(request, "loyalty/redeem_confirm.html", {
        "reward": reward, "balance": balance, "after": balance - reward.cost,
        "affordable": balance >= reward.cost, "missing": max(reward.cost - balance, 0),
        "error": error, "key": uuid.uuid4().hex,
    }, status=409 if error else 200)


def home_panel_context(request, customer) -> dict | None:
    """The front page's loyalty section: how to earn and the tiers with what each brings."""
    ways, tiers = selectors.earning_ways(), selectors.tiers_explained()
    if not ways and not tiers:
        return None
    return {"ways": ways, "tiers": tiers}
