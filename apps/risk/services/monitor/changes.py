"""What changed since the last monitor run: a set in Redis that the events already reaching the risk
engine fill, and that a run takes (drains) when it starts.

Items: "p:<portfolio id>" (an execution, a position or cash booking, a limit of that portfolio, a
breach resolved by hand), "s:<symbol>" (a new bar: every portfolio holding it), "*" (a global limit
changed: every portfolio). An incremental run checks the portfolios those items name plus every
portfolio with a breach whose hysteresis clock runs (below its warn level, not yet resolved: it
resolves with time alone). A breach still above its level is left alone — nothing it measures has
changed — so its last_seen_at moves at the full sweeps only. What no event announces — a new FX
rate, turnover and drawdown windows sliding with the clock, an edit made straight in the database —
is caught by the full sweep every RISK_MONITOR_FULL_SWEEP_S.

The set lives under the bus's key prefix, on the bus's Redis connection (as the platform's
Coalescer). Without Redis nothing is known to have changed, so the run is a full one."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

import redis
from django.conf import settings
from django.db import transaction

from apps.platform.bus import connection

from ...models import Breach, BreachStatus

log = logging.getLogger("apps.risk.monitor")

EVERYTHING = "*"
FULL, INCREMENTAL = "full", "incremental"


def _key() -> str:
    return f"{connection.config().prefix}risk:monitor:changed"


def changes_note(items: Iterable[str]) -> None:
    """Add items to the change set now (an event's task: its change is committed already). A
    Redis fault is logged: the full sweep will catch the change."""
    items = [str(i) for i in items]
    if not items:
        return
    try:
        connection.client().sadd(_key(), *items)
    except redis.RedisError as exc:
        log.warning("risk change set unavailable (%s); the full sweep will catch %s", exc, items)


def changes_note_on_commit(items: Iterable[str]) -> None:
    """Add items once the current transaction commits (a write in this engine: the run that takes
    them must see the write)."""
    items = list(items)
    transaction.on_commit(lambda: changes_note(items))


def changes_take() -> frozenset[str] | None:
    """Drain the change set; None when Redis cannot say (the caller runs a full sweep)."""
    try:
        pipe = connection.client().pipeline(transaction=True)
        pipe.smembers(_key())
        pipe.delete(_key())
        members = pipe.execute()[0]
    except redis.RedisError as exc:
        log.warning("risk change set unavailable (%s); running a full sweep", exc)
        return None
    return frozenset(m.decode() if isinstance(m, bytes) else m for m in members)


def event_changes(event: dict) -> list[str]:
    """What an event the engine receives changed: "p:<id>" for an execution or any booking of the
    book (trading.positions.*: a position or cash moved), "s:<symbol>" for a bar."""
    topic, payload = event.get("topic", ""), event.get("payload") or {}
    books = topic.startswith("trading.executions.") or topic.startswith("trading.positions.")
    if books and payload.get("portfolio_id") is not None:
        return [f"p:{int(payload['portfolio_id'])}"]
    if topic.startswith("market.data.bars.") and payload.get("symbol"):
        return [f"s:{str(payload['symbol']).upper()}"]
    return []


def split(items: Iterable[str]) -> tuple[list[str], list[int], bool]:
    """(symbols, portfolio ids, everything) of change-set items."""
    items = set(items)
    symbols = sorted(i[2:] for i in items if i.startswith("s:"))
    ids = sorted(int(i[2:]) for i in items if i.startswith("p:"))
    return symbols, ids, EVERYTHING in items


@dataclass(frozen=True)
class Scope:
    """What a run reads: every active portfolio (full), or the portfolios holding `symbols` plus
    those in `portfolio_ids` (incremental). `changes` are the change-set items it took (put back
    when the run fails, so the next run retries them)."""

    mode: str
    symbols: list[str]
    portfolio_ids: list[int]
    changes: frozenset[str]


def run_scope(*, incremental: bool, last_full_at, now) -> Scope:
    """Full when asked, when the full sweep is due (RISK_MONITOR_FULL_SWEEP_S after the last one's
    start; 0: always), when a global change says everything, or when Redis cannot tell what
    changed; incremental otherwise. A full run drains the change set too: it covers it."""
    taken = changes_take()
    sweep = timedelta(seconds=float(settings.RISK_MONITOR_FULL_SWEEP_S))
    due = last_full_at is None or not (last_full_at <= now < last_full_at + sweep)
    symbols, ids, everything = split(taken or ())
    if not incremental or due or taken is None or everything:
        return Scope(FULL, [], [], taken or frozenset())
    return Scope(INCREMENTAL, symbols, sorted(set(ids) | clocked_portfolio_ids()), taken)


def clocked_portfolio_ids() -> set[int]:
    """Portfolios with a breach whose hysteresis clock runs: below its warn level, not yet resolved,
    so it resolves with time alone and is checked on every run. A breach above its warn level
    changes only when something it measures does."""
    rows = Breach.objects.exclude(status=BreachStatus.RESOLVED).filter(below_since__isnull=False)
    return set(rows.values_list("portfolio_id", flat=True))
