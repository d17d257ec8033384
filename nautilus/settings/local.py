"""Laptop settings (`make up`): SQLite and a private Redis unless the env says otherwise. DEBUG is off
unless DJANGO_DEBUG=1 (`make up ARGS=--debug`): its error pages show settings and every URL pattern."""

from .base import *  # noqa: F401,F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
