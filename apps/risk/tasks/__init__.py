"""The risk engine's Celery tasks, one module per job; importing the package registers them all
(Celery autodiscovery imports `apps.risk.tasks`). Task names are kept as they were first published
(`apps.risk.tasks_monitor.monitor_run`, ...) so queued messages and Beat rows still find them."""

from . import checks, escalation, monitor, ping, reports, warmup  # noqa: F401
