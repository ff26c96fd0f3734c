"""System checks for settings the customers app relies on."""

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.checks import Error, Warning, register


@register()
def shared_cache_with_a_broker(app_configs, **kwargs):
    """With a real broker, web processes and workers must share a cache to agree on when
    received deliveries need a worker; each process's own memory would delay deliveries."""
    if settings.CELERY_TASK_ALWAYS_EAGER or not isinstance(caches["default"], LocMemCache):
        return []
    return [Warning(
        "Tasks go through a broker but the cache is each process's own memory, so received "
        "order deliveries can wait up to a minute to be applied.",
        hint="Set CACHE_URL to a Redis server every web process and worker can reach "
             "(a Redis broker is used by default).",
        id="customers.W001",
    )]


# Backends that never deliver: the console prints messages (password-reset links, voucher
# codes) to the log, the others keep or drop them.
UNDELIVERED_EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
}


@register(deploy=True)
def email_is_delivered_in_production(app_configs, **kwargs):
    """With DEBUG off, e-mails must reach people, not the log: an unset (console) backend is an
    error unless ALLOW_CONSOLE_EMAIL says it is meant."""
    if settings.DEBUG or settings.ALLOW_CONSOLE_EMAIL:
        return []
    if settings.EMAIL_BACKEND not in UNDELIVERED_EMAIL_BACKENDS:
        return []
    return [Error(
        f"EMAIL_BACKEND is {settings.EMAIL_BACKEND} with DEBUG off: password-reset links and "
        "voucher codes would be written to the log instead of being sent.",
        hint="Set EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and EMAIL_HOST "
             "(README, Configuration), or ALLOW_CONSOLE_EMAIL=true if this is meant.",
        id="customers.E002",
    )]
