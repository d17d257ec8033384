"""Celery tasks of the factors engine. Importing each module here is what registers its tasks
(Celery autodiscovers `apps.<engine>.tasks`)."""

from . import analyze, calculate, incremental, ping, screening  # noqa: F401
