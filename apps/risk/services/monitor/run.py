"""The 5-second monitor: evaluate every limit of every active portfolio, then open, update and
resolve breaches — exactly once each, however many monitors run at once.

One step (`monitor_step`) loads a batch of books, resolves their limits, evaluates them in one
kernel pass and syncs the breaches in one transaction:
- warn or breach → one INSERT … ON CONFLICT on the partial unique index "one unresolved breach per
  (limit, portfolio)": a new row opens the breach; an existing one gets last value/utilization,
  peak (the value at the highest utilization), bucket and last_seen_at updated and below_since
  cleared (back above before the hysteresis ran out). Two monitors racing cannot duplicate a
  breach: the second insert becomes the update. On PostgreSQL "inserted" is `xmax = 0` of the
  returned row, so only the inserting monitor writes the `opened` event.
- breach level reached on a warn breach → `UPDATE … SET level='breach' WHERE level='warn'`: the
  row lock lets exactly one monitor see 'warn', so `level_raised` is written once.
- ok (below the warn level) → below_since set if unset; once below for the limit's
  resolve_after_seconds (else RISK_BREACH_RESOLVE_AFTER_SECONDS) the breach resolves
  (resolution "auto") with a conditional UPDATE, again exactly once.
- no_data → the breach is left as it is (nothing measured, nothing concluded).
Events opened / level_raised / resolved are BreachEvents and are published on
risk.breaches.{portfolio} after commit; an unchanged tick publishes nothing.

Active portfolios are those with positions or with an unresolved breach (so a book that was
closed out still resolves its breaches). A breach whose limit was disabled or deleted is not
evaluated any more and stays until someone resolves it.

Elsewhere than PostgreSQL (SQLite) "inserted" is "no unresolved breach was read at the start of
the step's transaction"; the project's SQLite runs IMMEDIATE transactions, which serialize writers,
so that read cannot race either. A full run records itself on MonitorState (timings, counts,
errors); a targeted run (an event's portfolios) does not.

Layout: this module runs steps, the start/stop switch and the event-driven checks (coalesced by
apps.platform.coalescer); sync.py holds the breach upsert.
"""

from __future__ import annotations

import logging
import time
import traceback

import pandas as pd
import redis
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.platform import bus
from apps.platform.coalescer import Coalescer
from apps.platform.gc_pause import gc_paused
from apps.platform.timestamps import iso_utc
from apps.portfolio import facade as portfolio_facade

from ...kernels.limits import evaluate
from ...models import Breach, BreachStatus, MonitorState
from ...selectors.book import book_load, books_held, slow_refresh_ahead
from ...selectors.limits import limits_read, limits_resolve, windows_used
from .batches import Dispatch, active_portfolio_ids, batches_of, run_context
from .changes import FULL, INCREMENTAL, changes_note, event_changes, run_scope
from .record import RunFigures, run_lag_ms, run_record
from .sync import StepResult, breaches_sync

__all__ = [
    "StepResult",
    "active_frames",
    "event_targets",
    "monitor_on_event",
    "monitor_on_trailing",
    "monitor_run",
    "monitor_step",
    "monitor_switch",
]

log = logging.getLogger("apps.risk.monitor")


def monitor_step(*, frames=None, portfolio_ids=None, now=None) -> StepResult:
    """Evaluate and sync the breaches of some portfolios (the given book frames or ids)."""
    now = timezone.now() if now is None else now
    with gc_paused():  # a batch allocates heavily and briefly (apps/platform/gc_pause.py)
        if frames is None:
            frames = portfolio_facade.book_frames(None if portfolio_ids is None else list(portfolio_ids))
        held = books_held(frames)
        # The batch's own limit rows, read once: they say which turnover/drawdown windows the loader
        # computes (else it reads every enabled window limit of the database, per batch).
        records = limits_read(held.ids.to_numpy())
        windows, turnover = windows_used(records)
        loaded = book_load(held=held, windows=windows, turnover=turnover, now=now)
        resolved = limits_resolve(loaded, records=records)
        ev = evaluate(loaded.book, resolved.limits)
        return breaches_sync(loaded, resolved, ev, now=now)


def active_frames(*, symbols=None, portfolio_ids=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Books of the portfolios to monitor: with positions or an unresolved breach; narrowed to
    those holding any of `symbols` or listed in `portfolio_ids` when either is given."""
    with gc_paused():  # a row per position: 500,000 at 10,000 portfolios
        return _active_frames(symbols=symbols, portfolio_ids=portfolio_ids)


def _active_frames(*, symbols, portfolio_ids) -> tuple[pd.DataFrame, pd.DataFrame]:
    if symbols is not None or portfolio_ids is not None:
        # Only the books the event touches (or the ones named): not every position in the database.
        pf, pos = portfolio_facade.book_frames(
            list(portfolio_ids or ()), holding=list(symbols) if symbols is not None else None
        )
        return pf.reset_index(drop=True), pos
    pf, pos = portfolio_facade.book_frames(None)
    with_breach = Breach.objects.exclude(status=BreachStatus.RESOLVED).values_list("portfolio_id", flat=True)
    keep = set(pos["portfolio_id"]) | set(with_breach)
    pf = pf[pf["id"].isin(keep)].reset_index(drop=True)
    return pf, pos[pos["portfolio_id"].isin(keep)]


def _run_inline(pf: pd.DataFrame, pos: pd.DataFrame, now) -> tuple[StepResult, list[str]]:
    """The books in batches of RISK_MONITOR_BATCH_SIZE, one after the other, in this process. A
    failing batch is logged and counted; the others still run."""
    size = max(1, int(settings.RISK_MONITOR_BATCH_SIZE))
    total, errors = StepResult(), []
    for start in range(0, len(pf), size):
        batch = pf.iloc[start : start + size]
        try:
            total.add(monitor_step(frames=(batch, pos[pos["portfolio_id"].isin(batch["id"])]), now=now))
        except Exception as exc:  # noqa: BLE001 - one bad batch must not stop the others
            log.exception("risk monitor batch at %s failed", start)
            errors.append(f"batch {start // size}: {exc!r}\n{traceback.format_exc(limit=3)}")
    return total, errors


def monitor_run(
    *,
    now=None,
    force: bool = False,
    symbols=None,
    portfolio_ids=None,
    beat_expires=None,
    dispatch: Dispatch | None = None,
    incremental: bool = False,
) -> dict:
    """One monitor cycle. Skipped when MonitorState is disabled unless `force`.

    Targeted (`symbols` or `portfolio_ids`: an event's check): those books only, not recorded.
    Otherwise a recorded run (record.py: MonitorState, /metrics, the slow-run alert) over every
    active portfolio, or with `incremental` (the Beat task) over what changed since the last run
    until the full sweep is due (changes.run_scope). `beat_expires` is the expiry Beat stamped on
    the task's message, which tells the tick it was sent at (its lag). With `dispatch` (the task
    layer's Celery chord) a run of more than one batch is handed to the risk pool (batches.py) and
    this returns at once with what it dispatched; otherwise the batches run here, in turn."""
    state = MonitorState.load()
    if not state.enabled and not force:
        return {"skipped": "monitor disabled"}
    now = timezone.now() if now is None else now
    started = time.perf_counter()
    if symbols is not None or portfolio_ids is not None:
        total, errors = _run_inline(*active_frames(symbols=symbols, portfolio_ids=portfolio_ids), now)
        duration_ms = (time.perf_counter() - started) * 1000.0
        return total.as_dict() | {"duration_ms": round(duration_ms, 3), "errors": len(errors)}

    lag_ms = run_lag_ms(started_at=now, previous_start=state.last_started_at, beat_expires=beat_expires)
    scope = run_scope(incremental=incremental, last_full_at=state.last_full_at, now=now)
    full = {"last_full_at": now} if scope.mode == FULL else {}
    MonitorState.objects.filter(pk=1).update(last_started_at=now, **full)
    try:
        frames = None
        if scope.mode == INCREMENTAL:
            frames = active_frames(symbols=scope.symbols, portfolio_ids=scope.portfolio_ids)
        if dispatch is not None:
            ids = active_portfolio_ids() if frames is None else frames[0]["id"].tolist()
            batches = batches_of(ids, settings.RISK_MONITOR_BATCH_SIZE)
            if len(batches) > 1:
                dispatch(batches, run_context(now=now, lag_ms=lag_ms, mode=scope.mode, changes=scope.changes))
                return {
                    "dispatched": len(batches),
                    "portfolios": len(ids),
                    "mode": scope.mode,
                    "lag_ms": lag_ms,
                }
        total, errors = _run_inline(*(active_frames() if frames is None else frames), now)
    except Exception:
        changes_note(scope.changes)  # the next run retries what this one took
        raise
    if errors:
        changes_note(scope.changes)
    duration_ms = (time.perf_counter() - started) * 1000.0
    figures = RunFigures(
        started_at=now,
        duration_ms=duration_ms,
        portfolios=total.portfolios,
        limits=total.limits,
        opened=len(total.opened),
        resolved=len(total.resolved),
        error="\n".join(errors),
        mode=scope.mode,
        changes=len(scope.changes),
        written=total.written,
    )
    out = total.as_dict() | {"duration_ms": round(duration_ms, 3), "errors": len(errors)}
    out |= {"mode": scope.mode, "changes": len(scope.changes)} | run_record(figures, lag_ms=lag_ms)
    return out | {"refreshed": cache_refresh_ahead()}


def cache_refresh_ahead() -> int:
    """After a run is recorded: reload this process's aging market data before it expires, so the
    next run stays warm (selectors.book.market). A failure only costs a cold load later."""
    try:
        return slow_refresh_ahead()
    except Exception:  # noqa: BLE001 - the run is done and recorded; a refresh must not fail it
        log.exception("risk book cache refresh-ahead failed")
        return 0


def monitor_switch(*, enabled: bool, user=None) -> MonitorState:
    """Start or stop the monitor: MonitorState.enabled (checked by every run, so it takes effect at
    the next tick) and the django-celery-beat row's enabled flag (so Beat stops sending it), in
    one transaction; announced on risk.alerts.monitor after commit."""
    from django_celery_beat.models import PeriodicTask

    from ...selectors.monitor import MONITOR_BEAT_NAME

    now = timezone.now()
    with transaction.atomic():
        MonitorState.load()
        MonitorState.objects.filter(pk=1).update(enabled=enabled, changed_at=now)
        beat = PeriodicTask.objects.filter(name=MONITOR_BEAT_NAME).first()
        if beat is not None and beat.enabled != enabled:
            beat.enabled = enabled
            beat.save()  # save(), not update(): its signal tells a running Beat the schedule changed
        payload = {
            "event": "started" if enabled else "stopped",
            "at": iso_utc(now),
            "by": getattr(user, "username", None),
            "beat_entry": beat is not None,
        }
        transaction.on_commit(lambda: bus.publish("risk.alerts.monitor", payload))
    return MonitorState.load()


# --- event-driven checks ------------------------------------------------------------------------
# A bar or an execution checks the portfolios it touches at once. Bursts (a feed closing a bar for
# every symbol at the same moment) are coalesced through Redis by the platform's Coalescer: the first
# event of a window runs immediately; events inside the window add their targets to a pending set
# that one trailing run, scheduled for the window's end, checks together.


def _coalescer() -> Coalescer:
    return Coalescer("risk:events", window_ms=int(settings.RISK_EVENT_COALESCE_MS))


def event_targets(event: dict) -> list[str]:
    """Targets of an event: "p:<portfolio id>" for an execution or a cash movement (NAV moved),
    "s:<symbol>" for a bar, else [] (a trade's position event too: its execution triggers the check)."""
    topic, payload = event.get("topic", ""), event.get("payload") or {}
    cash = topic.startswith("trading.positions.") and payload.get("kind") == "cash"
    if (topic.startswith("trading.executions.") or cash) and payload.get("portfolio_id") is not None:
        return [f"p:{int(payload['portfolio_id'])}"]
    if topic.startswith("market.data.bars.") and payload.get("symbol"):
        return [f"s:{str(payload['symbol']).upper()}"]
    return []


def _targets_run(items) -> dict:
    items = {i.decode() if isinstance(i, bytes) else i for i in items}
    symbols = sorted(i[2:] for i in items if i.startswith("s:"))
    ids = sorted(int(i[2:]) for i in items if i.startswith("p:"))
    if not symbols and not ids:
        return {"checked": 0}
    return monitor_run(symbols=symbols, portfolio_ids=ids) | {"symbols": symbols, "portfolio_ids": ids}


def monitor_on_event(*, event: dict, schedule_trailing) -> dict:
    """Check what `event` touches now, or defer it into the window's trailing run
    (`schedule_trailing(delay_seconds)` enqueues it; the task layer passes Celery's). Without Redis
    the event's targets are checked directly. Either way the event's change joins the change set the
    next incremental run reads (changes.py): a deferred or failed check is not lost."""
    changes_note(event_changes(event))
    items = event_targets(event)
    if not items:
        return {"skipped": "nothing to check in this event"}
    try:
        offer = _coalescer().offer(items=items)
    except redis.RedisError:
        log.warning("risk event coalescing unavailable (Redis); checking %s directly", items)
        return _targets_run(items)
    if not offer.run_now:
        if offer.trailing_delay is not None:
            schedule_trailing(offer.trailing_delay)
        return {"deferred": items}
    return _targets_run(offer.items)


def monitor_on_trailing() -> dict:
    """The trailing run of a window: everything still pending."""
    return _targets_run(_coalescer().trailing())
