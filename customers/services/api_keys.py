import hashlib
import hmac
import secrets
import time
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from customers.models import ApiKey
from kernel.compiled import compiled_first

SECRET_KEY_KINDS = ("sk", "fw")


def hash_key(raw_key: str) -> str:
    # Keys are 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(raw_key.encode()).hexdigest()


def api_key_create(*, name: str) -> tuple[ApiKey, str]:
    """Make a secret key (`sk_…`, for the shop's servers). The raw key is returned once and
    never stored."""
    prefix = secrets.token_hex(4)
    raw_key = f"sk_{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey(name=name, prefix=prefix, hashed_key=hash_key(raw_key))
    api_key.full_clean()
    api_key.save()
    return api_key, raw_key


# Keys this process checked lately, by hash: {hash: (trusted until, on the monotonic clock, key)}.
_checked: dict[str, tuple[float, ApiKey]] = {}


def api_key_authenticate(*, raw_key: str) -> ApiKey | None:
    """The active key matching `raw_key`, or None. Notes when it was last used (at most
    once a minute, so busy integrations don't write on every request).

    A key found active is taken on trust by this process for API_KEY_CACHE_SECONDS: a busy
    integration costs a lookup per process every few seconds, not one per request. So a key
    revoked elsewhere (another web process, the admin on another server) still works here for
    at most that long; revoking in this process, or deleting, takes effect at once. A wrong or
    revoked key is never remembered: it is looked up every time."""
    parts = raw_key.split("_")
    # `fw_` keys were made before publishable keys existed: they are secret keys too.
    if len(parts) < 3 or parts[0] not in SECRET_KEY_KINDS:
        return None
    hashed = hash_key(raw_key)
    checked = _checked.get(hashed)
    if checked is not None and time.monotonic() < checked[0]:
        return checked[1]
    # Every API request ran this lookup before keys were remembered: compiled once per
    # process, as the ORM's compiling cost more CPU than the query.
    api_key = compiled_first("customers.api_key", lambda prefix: ApiKey.objects.filter(
        prefix=prefix, revoked_at__isnull=True), parts[1])
    if api_key is None or not hmac.compare_digest(api_key.hashed_key, hashed):
        _checked.pop(hashed, None)
        return None
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at > timedelta(minutes=1):
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    if settings.API_KEY_CACHE_SECONDS > 0:
        _checked[hashed] = (time.monotonic() + settings.API_KEY_CACHE_SECONDS, api_key)
    return api_key


def api_keys_forget(*, hashed_keys) -> None:
    """Stop trusting these keys in this process (they were revoked or deleted here)."""
    for hashed in hashed_keys:
        _checked.pop(hashed, None)


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """Revoke a key: refused from the next request in this process, and within
    API_KEY_CACHE_SECONDS in the others (see api_key_authenticate)."""
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    api_keys_forget(hashed_keys=[api_key.hashed_key])
    return api_key
