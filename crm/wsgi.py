"""WSGI entry point of the CRM."""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings.dev")
application = get_wsgi_application()
if settings.DEBUG:
    # The embedded default (bin/crm-server) serves the admin's and the API docs' static files
    # itself, as `runserver` did; production collects them behind its web server instead.
    from django.contrib.staticfiles.handlers import StaticFilesHandler

    application = StaticFilesHandler(application)
