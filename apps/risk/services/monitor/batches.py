"""A full run split over the risk pool: the run's portfolios in batches of
RISK_MONITOR_BATCH_SIZE, each batch a task on the risk queue (any risk worker, on any host, takes
it), and one finish that adds the batches up and records the run.

The parent (run.monitor_run with a `dispatch`) reads only the active portfolio ids, hands the
batches to `dispatch` (the task layer sends a Celery chord: the batches in parallel, then the
finish) and returns at once, so its worker slot is free for a batch too. Every batch evaluates at
the run's `now`. A batch never raises: its error travels in its answer, so the finish still runs
and records it as the sequential run does. De-duplication does not depend on how runs are split or
how they overlap: every breach write is the upsert of sync.py, on the partial unique index.

Run inline (no `dispatch`: the service called directly, one batch only, or tests) the batches run
one after the other in the calling process (run.monitor_run)."""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.platform.timestamps import iso_utc
from apps.portfolio import facade as portfolio_facade

from ...models import Breach, BreachStatus
from .record import RunFigures, run_record
from .sync import StepResult

log = logging.getLogger("apps.risk.monitor")

Dispatch = Callable[[list[list[int]], dict], None]


def active_portfolio_ids() -> list[int]:
    """Ids of the portfolios a full run checks: with an open position or an unresolved breach."""
    holding = set(portfolio_facade.portfolio_ids_holding())
    with_breach = Breach.objects.exclude(status=BreachStatus.RESOLVED).values_list("portfolio_id", flat=True)
    return sorted(holding | set(with_breach))


def batches_of(ids: list[int], size: int) -> list[list[int]]:
    size = max(1, int(size))
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def run_context(*, now, lag_ms: float | None, mode: str = "full", changes=()) -> dict:
    """What the finish needs to record the run, JSON-safe (it travels in the chord's callback)."""
    return {
        "now": iso_utc(now),
        "lag_ms": lag_ms,
        "started": time.time(),
        "mode": mode,
        "changes": sorted(changes),
    }


def _as_datetime(now):
    return parse_datetime(now) if isinstance(now, str) else now


def monitor_batch(*, portfolio_ids: list[int], now) -> dict:
    """Evaluate and sync one batch of a parallel run (its books read here, by id)."""
    from .run import active_frames, cache_refresh_ahead, monitor_step

    now = timezone.now() if now is None else _as_datetime(now)
    try:
        frames = active_frames(portfolio_ids=[int(i) for i in portfolio_ids])
        out = monitor_step(frames=frames, now=now).as_payload()
    except Exception as exc:  # noqa: BLE001 - the finish must run and record the failure
        log.exception("risk monitor batch of %d portfolios failed", len(portfolio_ids))
        first = portfolio_ids[0] if portfolio_ids else None
        return {"error": f"batch from portfolio {first}: {exc!r}\n{traceback.format_exc(limit=3)}"}
    # Each worker process has its own cache: the one that ran this batch keeps what it read warm.
    cache_refresh_ahead()
    return out


def monitor_finish(*, results: list[dict], run: dict) -> dict:
    """Add a parallel run's batch answers up and record the run (duration: wall time from the
    parent's start to now, across processes and hosts)."""
    total, errors = StepResult(), []
    for doc in results or []:
        if doc.get("error"):
            errors.append(doc["error"])
        else:
            total.add(StepResult.from_payload(doc))
    duration_ms = max(0.0, (time.time() - float(run["started"])) * 1000.0)
    figures = RunFigures(
        started_at=_as_datetime(run["now"]),
        duration_ms=duration_ms,
        portfolios=total.portfolios,
        limits=total.limits,
        opened=len(total.opened),
        resolved=len(total.resolved),
        error="\n".join(errors),
    )
    out = total.as_dict() | {
        "duration_ms": round(duration_ms, 3),
        "errors": len(errors),
        "batches": len(results),
    }
    return out | run_record(figures, lag_ms=run.get("lag_ms"))
