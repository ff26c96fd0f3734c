"""Shopper pages of refer-a-friend: the share link's landing page and the share card image."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from kernel.errors import FlywheelError, NotFound
from kernel.shoppers import shopper_page_required, signed_in_customer

from .. import selectors, services
from ..forms import ReferralSignupForm
from ..models import ReferralCode, ReferralProgram


def _client(request) -> tuple[str, str]:
    return request.META.get("REMOTE_ADDR", ""), request.META.get("HTTP_USER_AGENT", "")[:512]


def referral_landing(request, code: str):
    """`/r/<code>/`: count the click (rate-limited per IP), show the offer and take the
    friend's email; on success show their voucher code."""
    ip, user_agent = _client(request)
    program = ReferralProgram.get()
    if request.method == "POST":
        row = selectors.referral_code_find(code=code)
        if row is None:
            raise Http404(_("This referral link doesn't exist."))
        form = ReferralSignupForm(request.POST)
        if form.is_valid():
            # Someone typing an email that already signed up is not shown its voucher: only
            # the mailbox that received it has it.
            again = selectors.referral_signed_up(code=row, email=form.cleaned_data["email"])
            try:
                referral = services.referral_signup(
                    code=row, email=form.cleaned_data["email"], name=form.cleaned_data["name"],
                    ip=ip, user_agent=user_agent)
            except FlywheelError as error:
                return render(request, "referrals/landing.html", {
                    "code": row, "program": program, "form": form, "refused": error.message,
                }, status=error.status)
            return render(request, "referrals/welcome.html",
                          {"referral": referral, "program": program, "again": again})
        return render(request, "referrals/landing.html",
                      {"code": row, "program": program, "form": form}, status=400)
    try:
        click = services.referral_click_record(code=code, ip=ip)
    except NotFound as error:
        raise Http404(error.message) from error
    if click.limited:
        response = render(request, "referrals/limited.html", status=429)
        response["Retry-After"] = "3600"
        return response
    visitor = signed_in_customer(request)
    own = visitor is not None and visitor == click.code.customer
    initial = {"email": visitor.email, "name": visitor.full_name} if visitor and not own else {}
    return render(request, "referrals/landing.html", {
        "code": click.code, "program": program, "form": ReferralSignupForm(initial=initial),
        "own": own,
    })


@login_required
def referral_share_card(request):
    """The signed-in customer's share card, a PNG drawn once and kept on their code's row."""
    customer = shopper_page_required(request)
    share = selectors.referral_share_get(customer=customer)
    code = ReferralCode.objects.get(customer=customer)
    png = services.share_card_png(code=code, share_url=share.url)
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="{share.code}.png"'
    return response
