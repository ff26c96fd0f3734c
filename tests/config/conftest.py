"""Helpers for the tests of the edge: throttles on, with counters of their own."""

import datetime as dt
import uuid

import pytest
import time_machine
from axes.handlers.proxy import AxesProxyHandler

from config import settings as project_settings

# Inside one minute, one hour and one day: every request of a test falls in one window.
FROZEN = dt.datetime(2026, 11, 2, 9, 20, 30, tzinfo=dt.UTC)


@pytest.fixture
def throttled(settings):
    """The project's throttle rates and login protection, counting in a cache namespace of
    this test's own (the shared Redis cache when the suite runs with one), at a frozen time."""
    default = settings.CACHES["default"]
    settings.CACHES = {**settings.CACHES, "edge-test": {
        **default, "KEY_PREFIX": f"edge-test-{uuid.uuid4().hex}",
        **({"LOCATION": f"edge-test-{uuid.uuid4().hex}"} if "locmem" in default["BACKEND"]
           else {}),
    }}
    settings.THROTTLE_CACHE = settings.AXES_CACHE = "edge-test"
    settings.THROTTLE_RATES = dict(project_settings.THROTTLE_RATES)
    settings.AXES_ENABLED = True
    AxesProxyHandler.get_implementation(force=True)  # axes keeps its cache: give it this one
    with time_machine.travel(FROZEN, tick=False):
        yield settings
    AxesProxyHandler.implementation = None
