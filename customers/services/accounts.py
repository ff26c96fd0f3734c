"""Sign-up that never tells whether an email has an account: the form always answers "check
your inbox", and the inbox says what happened (a link that opens the new login, or a note
that the address already has one)."""

import datetime as dt

from django.contrib.auth.hashers import make_password
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from customers.models import User
from kernel.emails import email_normalise
from kernel.errors import FlywheelError
from kernel.links import absolute_url

from .profiles import account_open

SIGNUP_SALT = "customers.signup"
SIGNUP_LINK_LIFETIME = dt.timedelta(days=3)


class InvalidSignupLink(FlywheelError):
    code = "invalid_signup_link"
    status = 400


def _state(user: User) -> str:
    """Changes whenever the login's password does: a newer sign-up voids the older link."""
    return salted_hmac(SIGNUP_SALT, user.password).hexdigest()[:16]


def signup_token(*, user: User, accepts_marketing: bool) -> str:
    return signing.dumps({"user": user.pk, "marketing": accepts_marketing,
                          "state": _state(user)}, salt=SIGNUP_SALT)


def account_signup_request(*, email: str, password: str, first_name: str = "",
                           last_name: str = "", accepts_marketing: bool = False) -> None:
    """A shopper filled in the sign-up form. A new email gets a closed login and a link that
    opens it (account_signup_confirm); an email whose login is open gets a note saying so with
    the log-in and password-reset links, and nothing changes. Signing up again before opening
    the link replaces the password and sends a new link. The caller can't tell which."""
    email = email_normalise(email)
    hashed = make_password(password)  # hashed either way, so the time taken doesn't tell
    with transaction.atomic():
        user = User.objects.select_for_update().filter(email__iexact=email).first()
        if user is None:
            try:
                with transaction.atomic():
                    user = User.objects.create(email=email, password=hashed, is_active=False,
                                               first_name=first_name.strip(),
                                               last_name=last_name.strip())
            except IntegrityError:  # the same email signing up at the same moment
                return
        elif not user.is_active:
            user.password, user.first_name, user.last_name = (
                hashed, first_name.strip(), last_name.strip())
            user.save(update_fields=["password", "first_name", "last_name"])
        from customers.tasks import signup_email_task

        signup_email_task.delay_on_commit(user.pk, accepts_marketing,
                                          translation.get_language() or "")


def account_signup_confirm(*, token: str) -> User:
    """Open the login a sign-up link was sent for (once, within SIGNUP_LINK_LIFETIME, and only
    the latest link): linked to the customer with its email, consent recorded if asked."""
    invalid = InvalidSignupLink(_("This sign-up link has expired or was already used. "
                                  "Sign up again, or log in."))
    try:
        data = signing.loads(token, salt=SIGNUP_SALT, max_age=SIGNUP_LINK_LIFETIME)
    except signing.BadSignature:
        raise invalid from None
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=data["user"], is_active=False).first()
        if user is None or (user.password and _state(user) != data["state"]):
            raise invalid
        user.is_active = True
        user.save(update_fields=["is_active"])
        account_open(user=user, accepts_marketing=bool(data["marketing"]))
    return user


def signup_link(*, user: User, accepts_marketing: bool) -> str:
    return absolute_url("signup_confirm",
                        signup_token(user=user, accepts_marketing=accepts_marketing))
