"""Every write of the storefront: publishable keys, and the exchange of the shop's signature
of its logged-in shopper for a short-lived token bound to that customer."""

import datetime as dt
import hashlib
import hmac
import secrets

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from customers.models import Customer
from customers.services import customer_upsert

from . import errors
from .models import PublishableKey, ShopperSignatureUse

# How far the shop's timestamp may be from now (its clock may be a little ahead).
SIGNATURE_MAX_AGE = dt.timedelta(minutes=15)
SIGNATURE_MAX_SKEW = dt.timedelta(minutes=2)
TOKEN_MAX_AGE = dt.timedelta(hours=1)
TOKEN_SALT = "storefront.shopper-token"


def shopper_signature(*, secret: str, customer_id: str, email: str, timestamp: int) -> str:
    """What the shop's server computes: HMAC-SHA256 of `customer_id:email:timestamp` (the
    email lower-cased and trimmed) with the storefront's signing secret, in hex."""
    message = f"{customer_id}:{email.strip().lower()}:{int(timestamp)}"
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def publishable_key_create(*, name: str, platform: str = PublishableKey.Platform.GENERIC,
                           allowed_origins: str = "", **fields) -> PublishableKey:
    """A new storefront with its publishable key and its signing secret."""
    key = PublishableKey(
        name=name, platform=platform, allowed_origins=allowed_origins,
        key=f"pk_{secrets.token_urlsafe(24)}", signing_secret=secrets.token_hex(32), **fields)
    key.full_clean()
    key.save()
    return key


def publishable_key_rotate_secret(*, publishable_key: PublishableKey) -> PublishableKey:
    """A new signing secret: signatures made with the old one are refused from now on."""
    publishable_key.signing_secret = secrets.token_hex(32)
    publishable_key.save(update_fields=["signing_secret"])
    return publishable_key


def publishable_key_revoke(*, publishable_key: PublishableKey) -> PublishableKey:
    if publishable_key.revoked_at is None:
        publishable_key.revoked_at = timezone.now()
        publishable_key.save(update_fields=["revoked_at"])
    return publishable_key


def shopper_session_open(*, publishable_key: PublishableKey, customer_id: str, email: str,
                         timestamp: int, signature: str, now: dt.datetime | None = None
                         ) -> tuple[str, dt.datetime, Customer]:
    """Exchange the shop's signature of its logged-in shopper for a token bound to that
    customer (found by the platform's id, then the email, or created). A wrong signature, one
    older than SIGNATURE_MAX_AGE (or from the future) and one already exchanged are refused."""
    now = now or timezone.now()
    expected = shopper_signature(secret=publishable_key.signing_secret,
                                 customer_id=customer_id, email=email, timestamp=timestamp)
    # As bytes: compare_digest refuses text that is not ASCII, which anyone can send.
    if not hmac.compare_digest(expected.encode(), signature.strip().lower().encode()):
        raise errors.SignatureRefused(errors.SIGNATURE_INVALID)
    signed_at = dt.datetime.fromtimestamp(int(timestamp), tz=dt.UTC)
    if not (now - SIGNATURE_MAX_AGE <= signed_at <= now + SIGNATURE_MAX_SKEW):
        raise errors.SignatureRefused(errors.SIGNATURE_EXPIRED, code="signature_expired")
    source = (publishable_key.platform
              if publishable_key.platform != PublishableKey.Platform.GENERIC else "generic")
    with transaction.atomic():
        customer = customer_upsert(email=email, source=source, external_id=str(customer_id))
        try:
            with transaction.atomic():
                ShopperSignatureUse.objects.create(
                    publishable_key=publishable_key, signature=expected, customer=customer,
                    used_at=now)
        except IntegrityError:
            raise errors.SignatureRefused(errors.SIGNATURE_USED, code="signature_used") from None
    # A shopper exchanges once an hour at most, so forgetting here keeps the table small
    # without a scheduled job (one indexed DELETE).
    shopper_signature_uses_prune(now=now)
    token = signing.dumps({"k": publishable_key.pk, "c": customer.pk}, salt=TOKEN_SALT,
                          compress=True)
    return token, now + TOKEN_MAX_AGE, customer


def shopper_signature_uses_prune(*, now: dt.datetime | None = None) -> int:
    """Forget exchanged signatures old enough to be refused as expired anyway."""
    now = now or timezone.now()
    deleted, _by_model = ShopperSignatureUse.objects.filter(
        used_at__lt=now - SIGNATURE_MAX_AGE - SIGNATURE_MAX_SKEW).delete()
    return deleted
