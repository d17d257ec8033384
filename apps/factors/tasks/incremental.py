"""Incremental factor updates on new bars: the bus sends every `market.data.bars.*` event here
(subscriptions.py); bursts are coalesced like the features engine's (one leading run, one trailing
run per window across all workers), so a bar for 500 instruments extends each stored factor a few
times, not 500."""

from __future__ import annotations

import logging

import redis
from celery import shared_task
from django.conf import settings

from apps.platform.coalescer import Coalescer

from ..services.values import update_on_bars

log = logging.getLogger(__name__)

ON_BAR = "apps.factors.tasks.incremental.update_on_bar"
TRAILING = "apps.factors.tasks.incremental.update_trailing"


def _coalescer() -> Coalescer:
    return Coalescer("factors:bars", window_ms=settings.FACTORS_BAR_COALESCE_MS)


@shared_task(name=ON_BAR, ignore_result=True)
def update_on_bar(event: dict) -> dict:
    payload = event.get("payload") or {}
    if not payload.get("symbol"):
        return {"skipped": "no symbol"}
    item = f"{str(payload['symbol']).upper()}|{payload.get('interval') or '1d'}"
    try:
        offer = _coalescer().offer(items=[item])
    except redis.RedisError:
        log.warning("factor update coalescing unavailable (Redis); updating %s directly", item)
        return update_on_bars([item])
    if offer.run_now:
        return update_on_bars(offer.items)
    if offer.trailing_delay is not None:
        update_trailing.apply_async(countdown=offer.trailing_delay)
    return {"deferred": item}


@shared_task(name=TRAILING, ignore_result=True)
def update_trailing() -> dict:
    return update_on_bars(_coalescer().trailing())
