"""Periodic snapshot aging (Beat: workers/schedule.py). The task keeps the name it was first
registered under, so Beat entries and queued messages still find it."""

from __future__ import annotations

from celery import shared_task

from ..services.aggregation import snapshots_aggregate as _snapshots_aggregate


@shared_task(
    name="apps.analytics.tasks_aggregation.snapshots_aggregate", acks_late=True, reject_on_worker_lost=True
)
def snapshots_aggregate(portfolio_ids: list[int] | None = None) -> dict:
    # Idempotent: a redelivered run finds the rows it already folded gone and does nothing.
    return _snapshots_aggregate(portfolio_ids=portfolio_ids)
