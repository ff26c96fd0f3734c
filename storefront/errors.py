"""The storefront's errors: each has a stable code the widget and the tests check."""

from django.utils.translation import gettext_lazy as _

from kernel.errors import FlywheelError

SIGNATURE_INVALID = _("The shopper's signature does not match.")
SIGNATURE_EXPIRED = _("The shopper's signature is too old; reload the page.")
SIGNATURE_USED = _("This shopper signature was already used; reload the page.")
TOKEN_INVALID = _("The shopper's session is not valid or has expired; reload the page.")
TOKEN_REQUIRED = _("Log in to the shop first.")
ORIGIN_REFUSED = _("This key may not be used from this website.")
SECRET_KEY_IN_BROWSER = _("Secret keys stay on the shop's server: use a publishable key in "
                          "web pages.")
PUBLISHABLE_KEY_REFUSED = _("A publishable key can't do this; use a secret key on the shop's "
                            "server.")


class SignatureRefused(FlywheelError):
    code = "signature_invalid"
    status = 401


class ShopperTokenRefused(FlywheelError):
    code = "shopper_token_invalid"
    status = 401


class OriginRefused(FlywheelError):
    code = "origin_not_allowed"
    status = 403
