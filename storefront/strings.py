"""Every word the widget shows, translated on the server (gettext) and sent in the bootstrap
answer, so the shop's pages speak the shopper's language from the same catalogues as
Flywheel's own pages. embed.js has no text of its own."""

from django.utils.translation import gettext as _


def widget_strings() -> dict[str, str]:
    return {
        "launcher": _("Rewards"),
        "panel_title": _("Rewards"),
        "close": _("Close"),
        "loading": _("Loading…"),
        "error": _("Something went wrong. Please try again."),
        "guest_title": _("Join our rewards programme"),
        "guest_text": _("Earn points on every order, unlock VIP tiers and turn points into "
                        "rewards."),
        "join": _("Join now"),
        "login": _("Log in"),
        "hello": _("Hello %(name)s"),
        "available": _("Points available"),
        "pending": _("Points pending"),
        "pending_help": _("Pending points become available once the return window closes."),
        "tier": _("Tier"),
        "no_tier": _("No tier yet"),
        "ways_to_earn": _("Ways to earn"),
        "rewards": _("Rewards"),
        "points_cost": _("%(points)s points"),
        "redeem": _("Redeem"),
        "redeem_confirm": _("Spend %(points)s points on %(reward)s?"),
        "confirm": _("Yes, redeem"),
        "cancel": _("Cancel"),
        "not_enough": _("%(points)s more points needed"),
        "your_code": _("Your code"),
        "copy": _("Copy"),
        "copied": _("Copied"),
        "vouchers": _("Your vouchers"),
        "no_vouchers": _("No vouchers yet."),
        "expires": _("Expires %(date)s"),
        "sync_pending": _("Being added to the shop's checkout…"),
        "sync_failed": _("This code is being set up; try again at checkout in a few minutes."),
        "refer": _("Refer a friend"),
        "share": _("Share"),
        "share_link": _("Your referral link"),
        "qr": _("QR code of your referral link"),
        "history": _("History"),
        "no_history": _("Nothing yet."),
        "quiz_start": _("Start"),
        "quiz_next": _("Next"),
        "quiz_back": _("Back"),
        "quiz_finish": _("See my results"),
        "quiz_results": _("Your picks"),
        "quiz_view": _("View product"),
        "quiz_add": _("Add to cart"),
        "quiz_because": _("Because you said: %(reasons)s"),
        "quiz_open": _("Take the quiz"),
        "quiz_required": _("Please answer this question."),
        "quiz_consent": _("Yes, send me offers and news by email. I can unsubscribe at any "
                          "time."),
        "quiz_consent_help": _("With your email we keep your answers on your profile, so your "
                               "recommendations follow you."),
        "quiz_step": _("Question %(n)s of %(total)s"),
        "quiz_points": _("You earned %(points)s points."),
        "quiz_points_guest": _("Create an account to keep your %(points)s points."),
        "referral_welcome": _("Welcome! A friend invited you."),
    }
