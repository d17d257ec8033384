"""Where a price event's time goes on its way to the breach event, hop by hop, for the latency part.

Read from what the path already records, nothing added to it: the bench's publish time, the
worker's own task events for the risk check (`-E`: task-received when the worker took the message
off the broker, task-started when a pool process began it; timestamps from the worker's clock, the
same machine's), the breach event's publish time (stamped by the bus in the worker) and its arrival
at the bench's subscriber. Hops:

- `queue_ms`   publish → task-received: the bus write, the fan-out's send, waiting in the broker
               and the worker's BRPOP (where a shared worker makes the check wait behind others)
- `handoff_ms` task-received → task-started: the worker hands the message to a free pool process
- `check_ms`   task-started → breach event published: coalescing, book load, kernel, breach sync
- `deliver_ms` breach event published → arrival at the subscriber: the bus read (XREAD BLOCK)
"""

from __future__ import annotations

import threading

import numpy as np
from celery import current_app

HOPS = ("queue_ms", "handoff_ms", "check_ms", "deliver_ms")


class TaskEvents:
    """The received/started times of every task named `task_name`, by the bus event id it carries."""

    def __init__(self, task_name: str) -> None:
        self.task_name = task_name
        self.by_event: dict[str, dict] = {}
        self._by_uuid: dict[str, str] = {}
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._receiver = None
        self._thread: threading.Thread | None = None

    def _on_received(self, ev: dict) -> None:
        if ev.get("name") != self.task_name:
            return
        # The task's one argument is the bus event as a dict; its repr carries the durable id.
        args = str(ev.get("args", ""))
        start = args.find("'id': '")
        if start < 0:
            return
        event_id = args[start + 7 : args.find("'", start + 7)]
        with self._lock:
            self._by_uuid[ev["uuid"]] = event_id
            self.by_event[event_id] = {"received": float(ev["timestamp"])}

    def _on_started(self, ev: dict) -> None:
        with self._lock:
            event_id = self._by_uuid.get(ev["uuid"])
            if event_id is not None:
                self.by_event[event_id]["started"] = float(ev["timestamp"])

    def _run(self) -> None:
        ready = self._ready

        class Receiver(current_app.events.Receiver):
            def on_consume_ready(self, *args, **kwargs):
                ready.set()

        with current_app.connection_for_read() as conn:
            handlers = {"task-received": self._on_received, "task-started": self._on_started}
            self._receiver = Receiver(conn, handlers=handlers)
            self._receiver.capture(limit=None, timeout=None, wakeup=False)

    def __enter__(self) -> TaskEvents:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("could not subscribe to the workers' task events")
        return self

    def __exit__(self, *exc) -> None:
        if self._receiver is not None:
            self._receiver.should_stop = True
        if self._thread is not None:
            self._thread.join(5)


def hops(samples: list[dict], events: TaskEvents) -> dict:
    """p50/p99 of each hop over the tries whose check the worker reported (`samples`: each try's
    `event_id`, `published` and `arrived` wall times and the breach event's `breach_published`)."""
    rows = []
    for s in samples:
        task = events.by_event.get(s["event_id"], {})
        if "received" not in task or "started" not in task:
            continue
        rows.append(
            (
                task["received"] - s["published"],
                task["started"] - task["received"],
                s["breach_published"] - task["started"],
                s["arrived"] - s["breach_published"],
            )
        )
    if not rows:
        return {"tries": 0}
    ms = np.asarray(rows) * 1000.0
    out: dict = {"tries": len(rows)}
    for i, name in enumerate(HOPS):
        out[name] = [round(float(x), 1) for x in np.percentile(ms[:, i], [50, 99])]
    return out
