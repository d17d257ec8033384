"""Recording a full monitor run: MonitorState (timings, counts, lag, the slow streak), the
/metrics figures, and the slow-run alert.

A run is slow when it uses more than SLOW_FRACTION of its interval: the monitor then has less than
half a tick of slack, and a loaded machine will soon make it overrun (the next tick expires and
breaches are seen late). A slow run publishes `slow_run` on risk.alerts.monitor and sets
MonitorState.slow_since, which /health reports as a degraded risk engine (selectors.monitor
.monitor_health); the first run back under clears it and publishes `slow_run_cleared`.

The interval is the monitor's Beat row (an operator may retune it in the admin), else its entry in
workers.schedule. The lag is the run's start minus the Beat tick that sent it — Beat stamps each
message with an absolute expiry of tick + expire_seconds, so the tick is that expiry minus the
row's expire_seconds — or, for a run not sent by Beat, its start minus the previous run's start
plus the interval (never below 0)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.platform import bus
from apps.platform.timestamps import iso_utc
from workers.schedule import SCHEDULE

from ...models import MonitorState
from ...selectors.monitor import MONITOR_BEAT_NAME, monitor_schedule
from . import metrics

SLOW_FRACTION = 0.5
ALERT_TOPIC = "risk.alerts.monitor"


def monitor_interval() -> tuple[float, float | None]:
    """(interval, expire_seconds) of the monitor's Beat row, else of its workers.schedule entry."""
    row = monitor_schedule()
    if row is not None and row["every_seconds"]:
        return float(row["every_seconds"]), row["expire_seconds"]
    entry = next(p for p in SCHEDULE if p.name == MONITOR_BEAT_NAME)
    return entry.every_seconds, entry.expires_seconds


def _tick(beat_expires, expire_seconds: float | None) -> datetime | None:
    """The Beat tick that sent this run (see the module docstring); None when unknown."""
    if beat_expires is None or expire_seconds is None:
        return None
    at = beat_expires if isinstance(beat_expires, datetime) else parse_datetime(str(beat_expires))
    if at is None:
        return None
    if timezone.is_naive(at):
        at = timezone.make_aware(at, timezone.get_current_timezone())
    return at - timedelta(seconds=float(expire_seconds))


@dataclass(frozen=True)
class RunFigures:
    """What a full run did, for the record."""

    started_at: datetime  # the run's `now`
    duration_ms: float
    portfolios: int
    limits: int
    opened: int
    resolved: int
    error: str = ""
    mode: str = "full"  # or "incremental" (changes.run_scope)
    changes: int = 0  # change-set items the run took
    written: int = 0  # breach rows written


def run_lag_ms(*, started_at: datetime, previous_start: datetime | None, beat_expires=None) -> float | None:
    """How late a run started (see the module docstring)."""
    interval, expire_seconds = monitor_interval()
    tick = _tick(beat_expires, expire_seconds)
    if tick is not None:
        return max(0.0, (timezone.now() - tick).total_seconds() * 1000.0)
    if previous_start is None:
        return None
    late = started_at - previous_start - timedelta(seconds=interval)
    return max(0.0, late.total_seconds() * 1000.0)


def run_record(run: RunFigures, *, lag_ms: float | None) -> dict:
    """Write the run on MonitorState and /metrics; alert when it was slow (or clear the alert).
    Answers the record's extra fields for the run's answer."""
    interval, _ = monitor_interval()
    fraction = run.duration_ms / 1000.0 / interval if interval > 0 else 0.0
    slow = fraction > SLOW_FRACTION
    with transaction.atomic():
        was_slow_since = (
            MonitorState.objects.select_for_update().filter(pk=1).values_list("slow_since", flat=True).first()
        )
        MonitorState.objects.filter(pk=1).update(
            last_finished_at=timezone.now(),
            last_duration_ms=run.duration_ms,
            last_portfolios=run.portfolios,
            last_limits=run.limits,
            last_opened=run.opened,
            last_resolved=run.resolved,
            last_error=run.error[:4000],
            last_lag_ms=lag_ms,
            last_interval_s=interval,
            last_mode=run.mode,
            last_changes=run.changes,
            last_written=run.written,
            runs_total=F("runs_total") + 1,
            slow_since=Coalesce(F("slow_since"), Value(run.started_at)) if slow else None,
            slow_runs_total=F("slow_runs_total") + (1 if slow else 0),
        )
        payload = {
            "at": iso_utc(run.started_at),
            "duration_ms": round(run.duration_ms, 3),
            "interval_s": interval,
            "interval_fraction": round(fraction, 4),
            "portfolios": run.portfolios,
            "lag_ms": None if lag_ms is None else round(lag_ms, 3),
        }
        if slow:
            since = was_slow_since or run.started_at
            payload |= {"event": "slow_run", "slow_since": iso_utc(since)}
            transaction.on_commit(lambda: bus.publish(ALERT_TOPIC, payload))
        elif was_slow_since is not None:
            payload |= {"event": "slow_run_cleared", "slow_since": iso_utc(was_slow_since)}
            transaction.on_commit(lambda: bus.publish(ALERT_TOPIC, payload))
    metrics.run_observed(
        seconds=run.duration_ms / 1000.0,
        portfolios=run.portfolios,
        lag_seconds=None if lag_ms is None else lag_ms / 1000.0,
        fraction=fraction,
        slow=slow,
    )
    return {"lag_ms": payload["lag_ms"], "interval_fraction": payload["interval_fraction"], "slow": slow}
