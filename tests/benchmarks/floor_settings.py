"""The floor the ingestion benchmark measures Flywheel against: the least a JSON write API can
do, served by gunicorn exactly as Flywheel is. One DRF view (tests.benchmarks.apis.FloorApi)
that inserts one row and updates one per request; no middleware, no authentication, no
sessions, nothing of Flywheel's. Run as `gunicorn config.wsgi` with
DJANGO_SETTINGS_MODULE=tests.benchmarks.floor_settings and the benchmark's DATABASE_URL."""

import os

import dj_database_url

SECRET_KEY = os.environ.get("SECRET_KEY", "benchmark-only-secret-key")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["rest_framework", "tests.benchmarks"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "tests.benchmarks.floor_urls"
DATABASES = {"default": dj_database_url.config(conn_max_age=60)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
}
