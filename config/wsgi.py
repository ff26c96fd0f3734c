import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from config.runtime import process_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
get_resolver().url_patterns  # noqa: B018 (every view imported now, to be kept with the rest)
process_ready()
