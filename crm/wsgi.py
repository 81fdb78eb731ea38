"""WSGI entry point of the CRM."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings.dev")
application = get_wsgi_application()
