"""Analytics tasks (thin: ids and codes in, the work in selectors and services). Importing the
package registers every task module for Celery's autodiscovery of `apps.analytics.tasks`."""

from . import aggregation, pnl, reports  # noqa: F401
