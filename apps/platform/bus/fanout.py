"""Fan-out: bus events → Celery tasks on the subscribing engine's queue.

Engines register in code (their AppConfig.ready() or a `subscriptions.py` imported from it):

    bus.subscriber("trading.executions.*", "apps.analytics.tasks.pnl_on_event")

Why at publish time rather than a dispatcher process: the publisher already holds a broker
connection, so fan-out costs one LPUSH and no extra hop or always-on process, and the event's
priority goes straight onto the Celery message. The stream entry is written *first*; a failed
send_task is logged and counted but never un-publishes the event, and since the event keeps its
durable id a subscriber can still recover it by replaying the stream (subscribe(last_id=...)).
Events published while Redis was down fan out when the buffer flushes.

The task runs on the queue workers.routing gives its name (`apps.<engine>.tasks.x` → that engine's
queue) with the topic's Celery priority, and receives one positional argument: Event.as_dict().
A subscription may ask for a more urgent priority than the topic's (`priority="critical"`: risk's
check of a bar must not wait behind the other engines' work on the same bar); it never lowers it.

Order: one event's messages are sent most urgent first (then the subscribing engine's registry
priority, then registration order), so the check that matters most is in the broker first and an
idle worker's BRPOP takes it before the rest of the event's fan-out has even been written.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from workers.routing import route_task

from . import metrics
from .events import Event
from .topics import celery_priority, topic_matches, validate_pattern, validate_priority

log = logging.getLogger("apps.platform.bus")


# A task outside any engine (no registry priority) sorts after every engine's at equal priority.
_NO_ENGINE_PRIORITY = 10


@dataclass(frozen=True)
class Route:
    pattern: str
    task_name: str
    priority: str | None = None  # at least this urgent, whatever the topic's priority (None: the topic's)

    @property
    def queue(self) -> str:
        return self._routed().get("queue") or _default_queue()

    @property
    def engine_priority(self) -> int:
        """The subscribing engine's Celery priority in the registry (only breaks ties)."""
        return self._routed().get("priority", _NO_ENGINE_PRIORITY)

    def celery_priority(self, event: Event) -> int:
        topic = celery_priority(event.priority)
        return topic if self.priority is None else min(topic, celery_priority(self.priority))

    def _routed(self) -> dict:
        return route_task(self.task_name, (), {}, {}) or {}


def _default_queue() -> str:
    from django.conf import settings

    return getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery")


_lock = threading.Lock()
_routes: list[Route] = []


def subscriber(pattern: str, task_name: str, *, priority: str | None = None) -> Route:
    """Register that events matching `pattern` are sent to Celery task `task_name`, at the topic's
    priority or `priority` when that is more urgent. Idempotent."""
    validate_pattern(pattern)
    if not isinstance(task_name, str) or not task_name:
        raise ValueError("task_name must be a dotted task name")
    route = Route(pattern, task_name, None if priority is None else validate_priority(priority))
    with _lock:
        if route not in _routes:
            _routes.append(route)
    return route


def remove_subscriber(route: Route) -> None:
    with _lock:
        if route in _routes:
            _routes.remove(route)


def subscribers() -> tuple[Route, ...]:
    return tuple(_routes)


def routes_for(topic: str) -> list[Route]:
    return [r for r in _routes if topic_matches(r.pattern, topic)]


def dispatch(events: list[Event]) -> int:
    """Send one Celery message per (event, matching route). Returns how many were sent."""
    if not _routes or not events:
        return 0
    from nautilus.celery import app

    sent = 0
    for event in events:
        # sorted() is stable: at equal priorities the registration order stays.
        for priority, _, route in sorted(
            ((r.celery_priority(event), r.engine_priority, r) for r in routes_for(event.topic)),
            key=lambda item: item[:2],
        ):
            queue = route.queue
            try:
                app.send_task(
                    route.task_name,
                    args=[event.as_dict()],
                    queue=queue,
                    priority=priority,
                    retry=False,  # a dead broker must not stall the publisher; the event is in the stream
                )
            except Exception:  # noqa: BLE001 - any broker failure; the stream keeps the event
                log.exception("bus fan-out of %s (%s) to %s failed", event.topic, event.id, route.task_name)
                continue
            metrics.FANOUT.labels(queue=queue).inc()
            sent += 1
    return sent
