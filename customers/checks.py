"""System checks for settings the customers app relies on."""

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.checks import Warning, register


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
