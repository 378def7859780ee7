"""The WSGI application: the read path in front of Django (see gazette.publishing.readpath)."""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gazette.settings")
application = get_wsgi_application()
if settings.GAZETTE_READ_PATH:
    from gazette.publishing.readpath import ReadPath

    application = ReadPath(application)
