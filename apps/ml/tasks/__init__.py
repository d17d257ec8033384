"""Celery tasks of the ML engine. Importing each module here is what registers its tasks
(Celery autodiscovers `apps.<engine>.tasks`)."""

from . import outcomes, ping, training  # noqa: F401
