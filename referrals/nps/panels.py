"""The account page's "Your feedback" panel: the shopper's own survey answers."""

from kernel.panels import AccountPanel

from .selectors import nps_responses_for_customer

PANEL_ANSWERS = 5


def feedback_panel_context(request, customer) -> dict | None:
    answers = list(nps_responses_for_customer(customer=customer)[:PANEL_ANSWERS])
    return {"answers": answers} if answers else None


PANEL = AccountPanel(name="nps", template="referrals/nps/account_panel.html",
                     context=feedback_panel_context, order=60)
