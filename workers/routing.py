"""Celery task routing derived from the registry: a lane's tasks → the lane's queue, any other
`apps.<engine>.…` → that engine's queue."""

from __future__ import annotations

from .registry import ENGINES_BY_KEY, LANE_OF_TASK

# Platform housekeeping (heartbeats, queue sampling) rides the streaming engine's pool: it is the
# lightest one and already serves system topics.
PLATFORM_QUEUE = "streaming"


def engine_for_task(name: str) -> str | None:
    parts = name.split(".")
    if len(parts) >= 2 and parts[0] == "apps":
        if parts[1] in ENGINES_BY_KEY:
            return parts[1]
    return None


def route_task(name, args, kwargs, options, task=None, **kw):
    """Celery `task_routes` callable. An explicit `queue=` given at call time still wins."""
    if name in LANE_OF_TASK:
        eng, lane = LANE_OF_TASK[name]
        return {"queue": lane.queue, "priority": eng.task_priority}
    key = engine_for_task(name)
    if key is not None:
        eng = ENGINES_BY_KEY[key]
        return {"queue": eng.queue, "priority": eng.task_priority}
    if name.startswith("apps.platform."):
        return {"queue": PLATFORM_QUEUE}
    return None
