"""Shopper pages: home, sign up, the account page. Views read input and call one service."""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from customers.forms import ConsentForm, SignupForm
from customers.selectors import (
    customer_export,
    customer_since,
    shopper_answers,
    shopper_timeline,
)
from customers.services import (
    account_signup_confirm,
    account_signup_request,
    consent_set,
    customer_erase,
    customer_language_set,
    customer_unsubscribe,
)
from kernel import panels
from kernel.describers import activity_texts
from kernel.errors import FlywheelError
from kernel.formats import money_format
from kernel.languages import language_offered
from kernel.shoppers import signed_in_customer

TIMELINE_PAGE_SIZE = 20


def home(request):
    """The front page: what the program is, how to earn, the tiers, the quizzes to take (the
    sections come from the apps that own them, kernel.panels.register_home)."""
    customer = signed_in_customer(request)
    return render(request, "customers/home.html",
                  {"sections": panels.home_panels_for(request, customer)})


def signup(request):
    if request.user.is_authenticated:
        return redirect("account")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # The same answer whether or not the email has an account: the inbox says which.
        data = form.cleaned_data
        account_signup_request(
            email=data["email"], password=data["password1"], first_name=data["first_name"],
            last_name=data["last_name"], accepts_marketing=data["accepts_marketing"],
        )
        return render(request, "registration/signup_sent.html", {"email": data["email"]})
    return render(request, "registration/signup.html", {"form": form})


def signup_confirm(request, token: str):
    """The link in the sign-up email: opens the login and signs the shopper in."""
    try:
        user = account_signup_confirm(token=token)
    except FlywheelError as error:
        return render(request, "registration/signup_invalid.html", {"message": error.message},
                      status=error.status)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, _("Welcome! Your account is ready."))
    return redirect("account")


@login_required
def account(request):
    customer = signed_in_customer(request)
    context = {"customer": customer, "shop_currency": settings.SHOP_CURRENCY}
    if customer is not None:
        timeline = Paginator(shopper_timeline(customer=customer),
                             TIMELINE_PAGE_SIZE).get_page(request.GET.get("page"))
        texts = activity_texts(timeline.object_list)
        context.update(
            answers=shopper_answers(customer=customer),
            consent_form=ConsentForm(initial={"accepts_marketing": customer.accepts_marketing}),
            timeline=timeline,
            timeline_rows=[(a, texts.get(a.pk) or a.kind_label) for a in timeline.object_list],
            customer_since=customer_since(customer),
            spent=money_format(customer.total_spent, settings.SHOP_CURRENCY),
            panels=panels.panels_for(request, customer),
        )
    return render(request, "customers/account.html", context)


@require_POST
@login_required
def account_consent(request):
    customer = signed_in_customer(request)
    form = ConsentForm(request.POST)
    if customer is not None and form.is_valid():
        consent_set(
            customer=customer, accepts_marketing=form.cleaned_data["accepts_marketing"],
            source="account",
        )
        messages.success(request, _("Your marketing preference is saved."))
    return redirect("account")


@login_required
def account_data_download(request):
    """Everything Flywheel holds about the signed-in shopper, as a JSON file."""
    customer = signed_in_customer(request)
    if customer is None:
        return redirect("account")
    body = json.dumps(customer_export(customer=customer), indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    stamp = timezone.now().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="my-data-{stamp}.json"'
    return response


@login_required
def account_erase(request):
    """Ask for erasure: a page that says what goes and what stays, then a confirmed POST that
    erases the profile and signs the shopper out."""
    customer = signed_in_customer(request)
    if customer is None:
        return redirect("account")
    error = ""
    if request.method == "POST":
        if request.POST.get("confirm") == "yes":
            customer_erase(customer=customer)
            logout(request)
            return render(request, "customers/erased.html")
        error = _("Tick the box to confirm that your data should be erased.")
    return render(request, "customers/erase_confirm.html", {"customer": customer,
                                                            "error": error},
                  status=400 if error else 200)


@csrf_exempt  # the one-click unsubscribe (RFC 8058) is a POST from the mail provider
def unsubscribe(request, token: str):
    """The unsubscribe link of a marketing e-mail: a page with one button; the POST (the
    button, or a mail client's one-click List-Unsubscribe-Post) unsubscribes."""
    if request.method == "POST":
        try:
            customer_unsubscribe(token=token)
        except FlywheelError as error:
            return render(request, "customers/unsubscribe.html", {"message": error.message},
                          status=error.status)
        return render(request, "customers/unsubscribe.html", {"done": True})
    return render(request, "customers/unsubscribe.html", {"token": token})


@require_POST
def language_set(request):
    """The language switcher: Django's set_language (the cookie, then back to the page), and
    for a signed-in shopper the choice kept on their profile, for e-mails and other devices."""
    response = set_language(request)
    language = request.POST.get("language", "")
    customer = signed_in_customer(request)
    if customer is not None and language_offered(language):
        customer_language_set(customer=customer, language=language)
    return response
