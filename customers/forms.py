"""Forms for the shopper pages. They validate input; the services do the writing.

Django ties each input to its help text and errors (aria-describedby with the ids
`<id>_helptext` and `<id>_error`); templates/includes/field.html renders those ids."""

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from customers.models import User
from kernel.emails import email_normalise

MARKETING_LABEL = _("Email me offers and news from the shop")


class SignupForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"), max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    first_name = forms.CharField(
        label=_("First name (optional)"), max_length=150, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=_("Last name (optional)"), max_length=150, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    password1 = forms.CharField(
        label=_("Password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters; not only numbers, and not a common password."),
    )
    password2 = forms.CharField(
        label=_("Password again"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    accepts_marketing = forms.BooleanField(
        label=MARKETING_LABEL, required=False, initial=False,
        help_text=_("You can change this at any time on your account page."),
    )

    def clean_email(self):
        # Whether the address has an account is never said here (account_signup_request).
        return email_normalise(self.cleaned_data["email"])

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error(
                "password2",
                forms.ValidationError(_("The two passwords don't match."), code="mismatch"),
            )
        elif password2:
            candidate = User(
                email=cleaned.get("email", ""), first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
            )
            try:
                password_validation.validate_password(password2, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class LoginForm(AuthenticationForm):
    """Logs in by email, whatever its capitals (addresses are stored lower-case)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Email address")
        self.fields["username"].widget.attrs["autocomplete"] = "email"

    def clean_username(self):
        return email_normalise(self.cleaned_data["username"])


class ConsentForm(forms.Form):
    accepts_marketing = forms.BooleanField(label=MARKETING_LABEL, required=False)
