import os

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_process_init, worker_ready

from config.runtime import process_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("flywheel")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Celery's Django fixup closes the database connection before and after every task unless this
# is set, so each task would open a new PostgreSQL connection (a backend process started, auth,
# session set-up): more than a whole baseline request costs. With it, a connection is recycled
# after at most this many tasks, and between tasks Django's own rules apply (below).
app.conf["CELERY_DB_REUSE_MAX"] = 1000
app.autodiscover_tasks()


@task_prerun.connect(dispatch_uid="flywheel_db_connections_before_task")
@task_postrun.connect(dispatch_uid="flywheel_db_connections_after_task")
def _close_old_connections(**kwargs):
    """What Django does around each request: close a connection that had an error or is older
    than CONN_MAX_AGE, and health-check a kept one before its next use."""
    if kwargs.get("task") is not None and getattr(kwargs["task"].request, "is_eager", False):
        return  # eager tasks run inside the caller's transaction
    from django.db import close_old_connections

    close_old_connections()


@worker_ready.connect(dispatch_uid="flywheel_process_ready")
@worker_process_init.connect(dispatch_uid="flywheel_pool_process_ready")
def _process_ready(**kwargs):
    """A worker's tasks run in it (the solo pool) or in its pool's processes (prefork): each
    sets the garbage collector for a long-lived process once it has loaded the app."""
    process_ready()
