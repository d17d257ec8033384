"""Market-data Celery tasks, one module per resource; importing them here lets Celery's autodiscovery
of `apps.marketdata.tasks` register every one (their names keep the `apps.marketdata.tasks.` prefix)."""

from . import health, ingest  # noqa: F401
