"""Celery tasks of the factors engine. Importing each module here is what registers its tasks
(Celery autodiscovers `apps.<engine>.tasks`)."""

from . import calculate, ping  # noqa: F401
