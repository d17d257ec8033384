"""Outcomes of recorded predictions on new bars: every `market.data.bars.*` event comes here
(subscriptions.py); bursts are coalesced (one leading run, one trailing run per window, across all
workers), so a bar for 500 instruments is a few set-based updates, not 500."""

from __future__ import annotations

from collections.abc import Iterable

from celery import shared_task

from apps.platform.coalescer import Coalescer, bar_event_item, coalesced_run

from ..services.records import outcomes_fill

ON_BAR = "apps.ml.tasks.outcomes.outcomes_on_bar"
TRAILING = "apps.ml.tasks.outcomes.outcomes_trailing"
WINDOW_MS = 500  # outcomes are read hours or days later: no hurry, batch more


def _coalescer() -> Coalescer:
    return Coalescer("ml:outcomes", window_ms=WINDOW_MS)


def _fill(items: Iterable[str]) -> dict:
    symbols = sorted({str(item).partition("|")[0].upper() for item in items})
    return {"symbols": len(symbols), "filled": outcomes_fill(symbols=symbols)}


@shared_task(name=ON_BAR, ignore_result=True)
def outcomes_on_bar(event: dict) -> dict:
    item = bar_event_item(event)
    if item is None:
        return {"skipped": "no symbol"}
    return coalesced_run(_coalescer(), item, run=_fill, trailing_task=outcomes_trailing, log_name=__name__)


@shared_task(name=TRAILING, ignore_result=True)
def outcomes_trailing() -> dict:
    return _fill(_coalescer().trailing())
