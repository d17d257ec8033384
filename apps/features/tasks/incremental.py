"""Incremental feature updates on new bars: the bus sends every `market.data.bars.*` event here
(subscriptions.py); bursts are coalesced (one leading run, one trailing run per window, across all
workers) so a bar for 500 instruments is a few batched runs, not 500 tasks' worth of queries."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from apps.platform.coalescer import Coalescer, bar_event_item, coalesced_run

from ..services.incremental import update_on_bars

ON_BAR = "apps.features.tasks.incremental.update_on_bar"
TRAILING = "apps.features.tasks.incremental.update_trailing"


def _coalescer() -> Coalescer:
    return Coalescer("features:bars", window_ms=settings.FEATURES_BAR_COALESCE_MS)


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
