"""What the broker knows about each engine queue: its depth and the last task an engine finished.

Queue depth: with `priority_steps` the Redis transport keeps one list per step, named
`<queue>`, `<queue>:3`, `<queue>:6`, `<queue>:9` (kombu's `_q_for_pri` with our `sep` ":"; step 0
is the bare name), so the depth is the sum of LLEN over those lists.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

import redis
from django.conf import settings

from workers.registry import ENGINES, PRIORITY_STEPS

from .redis_client import broker_redis

log = logging.getLogger(__name__)

LAST_TASK_KEY = "nautilus:platform:last_task:{engine}"
LAST_TASK_TTL_SECONDS = 7 * 24 * 3600


def priority_list_names(queue: str) -> list[str]:
    sep = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("sep", ":")
    steps = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("priority_steps", PRIORITY_STEPS)
    return [queue if step == 0 else f"{queue}{sep}{step}" for step in steps]


def queue_depths(queues: Iterable[str] | None = None) -> dict[str, int]:
    """Messages waiting per queue, in one round trip. Raises redis.RedisError when Redis is down."""
    queues = list(queues) if queues is not None else [e.queue for e in ENGINES]
    pipe = broker_redis().pipeline(transaction=False)
    for q in queues:
        for name in priority_list_names(q):
            pipe.llen(name)
    sizes = pipe.execute()
    steps = len(sizes) // max(len(queues), 1)
    return {q: int(sum(sizes[i * steps : (i + 1) * steps])) for i, q in enumerate(queues)}


def last_task_record(*, engine: str, task: str, state: str, task_id: str) -> None:
    """Remember the last task an engine finished. Bookkeeping only: never fails the task."""
    try:
        key = LAST_TASK_KEY.format(engine=engine)
        pipe = broker_redis().pipeline(transaction=False)
        pipe.hset(key, mapping={"name": task, "state": state, "task_id": task_id, "finished_at": time.time()})
        pipe.expire(key, LAST_TASK_TTL_SECONDS)
        pipe.execute()
    except redis.RedisError as exc:
        log.warning("could not record last task for %s: %s", engine, exc)


def last_tasks(engines: Iterable[str]) -> dict[str, dict | None]:
    """The last finished task per engine (None when none is recorded). Raises redis.RedisError."""
    engines = list(engines)
    pipe = broker_redis().pipeline(transaction=False)
    for key in engines:
        pipe.hgetall(LAST_TASK_KEY.format(engine=key))
    out: dict[str, dict | None] = {}
    for key, raw in zip(engines, pipe.execute(), strict=True):
        if not raw:
            out[key] = None
            continue
        rec = {k.decode(): v.decode() for k, v in raw.items()}
        out[key] = {
            "name": rec.get("name", ""),
            "state": rec.get("state", ""),
            "task_id": rec.get("task_id", ""),
            "finished_at": float(rec["finished_at"]) if rec.get("finished_at") else None,
        }
    return out
