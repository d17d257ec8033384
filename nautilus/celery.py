"""The Celery app. Configuration lives in Django settings (CELERY_* keys), derived from workers/."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nautilus.settings.local")

app = Celery("nautilus")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
