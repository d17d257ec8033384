"""The monitor's tasks: the Beat cycle (every 5 s, expires 4 s — workers.schedule) and the
event-driven checks the bus fans out (apps.risk.subscriptions)."""

from __future__ import annotations

from celery import chord, shared_task

from ..services import monitor


# Periodic and idempotent (the breach upsert is): a lost run is replaced by the next tick.
# Bound: the message's expiry, which Beat stamps at tick + expire_seconds, gives the run its lag.
@shared_task(name="apps.risk.tasks_monitor.monitor_run", bind=True, acks_late=False, ignore_result=True)
def monitor_run(self) -> dict:
    expires = self.request.expires
    return monitor.monitor_run(
        beat_expires=None if expires is None else str(expires), dispatch=chord_dispatch, incremental=True
    )


def chord_dispatch(batches: list[list[int]], run: dict) -> None:
    """The run's batches in parallel on the risk queue, then its finish (a chord: the finish gets
    every batch's answer)."""
    chord(monitor_batch.s(ids, run["now"]) for ids in batches)(monitor_finish.s(run))


# Not acks_late: a batch lost with its worker is re-checked by the next tick (the upsert makes a
# batch idempotent; waiting a visibility timeout to redeliver a 5-second run's batch is useless).
@shared_task(name="apps.risk.tasks_monitor.monitor_batch", acks_late=False)
def monitor_batch(portfolio_ids: list[int], now: str) -> dict:
    return monitor.monitor_batch(portfolio_ids=portfolio_ids, now=now)


@shared_task(name="apps.risk.tasks_monitor.monitor_finish", acks_late=False, ignore_result=True)
def monitor_finish(results: list[dict], run: dict) -> dict:
    return monitor.monitor_finish(results=results, run=run)


def _schedule_trailing(delay_seconds: float) -> None:
    check_trailing.apply_async(countdown=delay_seconds)


@shared_task(name="apps.risk.tasks_monitor.check_on_event", ignore_result=True)
def check_on_event(event: dict) -> dict:
    """Bus subscriber for market.data.bars.*, trading.executions.* and trading.positions.* (cash
    movements): the monitor step for the portfolios holding the bar's symbol or booking the
    execution or the cash movement."""
    return monitor.monitor_on_event(event=event, schedule_trailing=_schedule_trailing)


@shared_task(name="apps.risk.tasks_monitor.check_trailing", ignore_result=True)
def check_trailing() -> dict:
    return monitor.monitor_on_trailing()
