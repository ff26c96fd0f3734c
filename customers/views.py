"""Shopper pages: home, sign up, the account page. Views read input and call one service."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from customers.forms import ConsentForm, SignupForm
from customers.selectors import activity_timeline, attributes_latest
from customers.services import (
    account_signup_confirm,
    account_signup_request,
    consent_set,
    customer_language_set,
)
from kernel import panels
from kernel.errors import FlywheelError
from kernel.languages import language_offered
from kernel.shoppers import signed_in_customer

TIMELINE_PAGE_SIZE = 20


def home(request):
    return render(request, "customers/home.html")


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
        timeline = activity_timeline(customer=customer)
        context.update(
            answers=[
                (key.replace("_", " ").replace("-", " ").capitalize(), attribute)
                for key, attribute in sorted(attributes_latest(customer=customer).items())
            ],
            consent_form=ConsentForm(initial={"accepts_marketing": customer.accepts_marketing}),
            timeline=Paginator(timeline, TIMELINE_PAGE_SIZE).get_page(request.GET.get("page")),
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
