"""`manage.py bench platform`: what the plumbing costs, next to raw Redis measured in the same run.

- Celery round trip (apply_async(...).get() of `apps.<engine>.tasks.ping`, cycling over the nine
  queues) against an echo over two Redis lists (LPUSH request, a consumer thread BRPOPs it and
  LPUSHes a reply, the caller BRPOPs the reply) — the same shape a task round trip has.
- Celery tasks/s per queue (fire N pings, wait for all) against N single LPUSHes drained by a BRPOP
  consumer thread.
- Bus publish rate against raw XADD (same approximate MAXLEN), and bus publish→subscribe latency
  against raw XADD→XREAD BLOCK.

The worker is a real `celery worker` subprocess on all nine queues (prefork, 2 children) against
settings.REDIS_URL, so the figures include the broker, the result backend and process hops.
"""

from __future__ import annotations

import uuid

import redis
from django.conf import settings

from .bus import bus_figures
from .queues import celery_rates, celery_round_trip
from .workers import celery_worker

FULL = {"round_trips": 400, "per_queue": 200, "bus_events": 5000, "bus_latency": 300}
QUICK = {"round_trips": 20, "per_queue": 10, "bus_events": 100, "bus_latency": 10}


def run(*, quick: bool = False, progress: bool = True, **params) -> dict:
    sizes = {**(QUICK if quick else FULL), **{k: int(v) for k, v in params.items() if k in FULL}}
    red = redis.Redis.from_url(settings.REDIS_URL)
    prefix = f"nautilus:bench:{uuid.uuid4().hex[:8]}:"
    figures: list[dict] = []
    try:
        with celery_worker():
            figures += celery_round_trip(red, prefix, sizes["round_trips"], progress)
            figures += celery_rates(red, prefix, sizes["per_queue"], progress)
        figures += bus_figures(red, prefix, sizes["bus_events"], sizes["bus_latency"], progress)
    finally:
        keys = list(red.scan_iter(match=prefix + "*"))
        if keys:
            red.delete(*keys)
        red.close()
    return {"engine": "platform", "sizes": sizes, "figures": figures}
