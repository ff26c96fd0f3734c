"""Python's garbage collector set for a long-lived server process: a gunicorn worker or a
Celery worker.

Such a process loads Django, DRF and every app once, a few hundred thousand objects that live
as long as it does. Python's cyclic collector walks all of them at every full collection,
and an order batch or a points e-mail allocates enough to set one off often: a fifth of the
ingest worker's CPU went there, and a twelfth of an order event's in the web process.
`gc.freeze()` once the app is loaded moves those objects out of the collector's sight (they
stay in memory, as they would anyway), and a larger first generation collects the
short-lived cycles of a request or a batch less often. Memory freed by reference counting,
nearly all of it, is freed at once as before; only garbage in cycles waits a little longer.
"""

import gc

# Allocations between two collections of the youngest generation (Python's default is 700),
# then how many of those before the next generation's (its defaults).
GC_THRESHOLD = (50_000, 10, 10)


def process_ready() -> None:
    """Call once the process has loaded what it will keep: its objects are left out of every
    later collection, and the youngest generation is collected less often."""
    gc.collect()  # the garbage start-up left behind goes now, not frozen with the rest
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)
