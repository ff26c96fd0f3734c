from django import forms
from django.utils.translation import gettext_lazy as _


class ReferralSignupForm(forms.Form):
    """A referred friend's details on the share link's page."""

    email = forms.EmailField(
        label=_("Your email"), max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}),
        help_text=_("We'll show your code here and send it to this address."),
    )
    name = forms.CharField(
        label=_("Your name (optional)"), max_length=150, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
