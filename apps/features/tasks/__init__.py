"""Celery tasks of the features engine. Importing each module here is what registers its tasks
(Celery autodiscovers `apps.<engine>.tasks`)."""

from . import compute, incremental, ping  # noqa: F401
