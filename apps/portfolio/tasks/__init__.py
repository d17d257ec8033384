"""Celery tasks of the portfolio engine (autodiscovery imports this package)."""

from . import health  # noqa: F401
