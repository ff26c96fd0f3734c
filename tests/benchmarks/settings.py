"""Flywheel's settings plus the baseline endpoint the ingestion benchmark compares against."""

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.benchmarks"]
ROOT_URLCONF = "tests.benchmarks.urls"
