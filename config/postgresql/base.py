"""PostgreSQL as Django ships it, health-checking a kept connection only when it sat idle.

Django's CONN_HEALTH_CHECKS runs `SELECT 1` before the first query of every request (and of
every Celery task) on a reused connection: a round trip that cost a fifth of an order event's
web time. A connection that answered a moment ago is almost always still there, so the check
runs only when the connection has been idle for DB_HEALTH_CHECK_IDLE seconds (5) since the
last request or task ended; in between, TCP keepalives notice a server that went away, and a
query that fails marks the connection unusable so Django closes it after the request.
"""

import time

from django.conf import settings
from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    idle_since: float | None = None

    def close_if_unusable_or_obsolete(self):
        """Between requests or tasks (Django calls it at both ends): Django's rules, then
        note when the connection went idle, if it was not idle already."""
        super().close_if_unusable_or_obsolete()
        if self.connection is None:
            self.idle_since = None
        elif self.idle_since is None:
            self.idle_since = time.monotonic()

    def close_if_health_check_failed(self):
        idle_since, self.idle_since = self.idle_since, None
        if (idle_since is not None and not self.health_check_done
                and time.monotonic() - idle_since < settings.DB_HEALTH_CHECK_IDLE):
            self.health_check_done = True  # used moments ago: no round trip
        super().close_if_health_check_failed()
