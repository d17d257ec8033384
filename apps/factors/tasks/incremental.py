"""Incremental factor updates on new bars: the bus sends every `market.data.bars.*` event here
(subscriptions.py); bursts are coalesced like the features engine's (one leading run, one trailing
run per window across all workers), so a bar for 500 instruments extends each stored factor a few
times, not 500."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from apps.platform.coalescer import Coalescer, bar_event_item, coalesced_run

from ..services.values import update_on_bars

ON_BAR = "apps.factors.tasks.incremental.update_on_bar"
TRAILING = "apps.factors.tasks.incremental.update_trailing"


def _coalescer() -> Coalescer:
    return Coalescer("factors:bars", window_ms=settings.FACTORS_BAR_COALESCE_MS)


@shared_task(name=ON_BAR, ignore_result=True)
def update_on_bar(event: dict) -> dict:
    item = bar_event_item(event)
    if item is None:
        return {"skipped": "no symbol"}
    return coalesced_run(
        _coalescer(), item, run=update_on_bars, trailing_task=update_trailing, log_name=__name__
    )


@shared_task(name=TRAILING, ignore_result=True)
def update_trailing() -> dict:
    return update_on_bars(_coalescer().trailing())
