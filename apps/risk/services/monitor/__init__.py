"""The 5-second monitor (run.py: steps, runs, the switch and event-driven checks; sync.py: the
breach upsert; batches.py: a full run split over the risk pool; record.py: a full run's record and
the slow-run alert)."""

from .batches import monitor_batch, monitor_finish
from .run import (
    StepResult,
    active_frames,
    event_targets,
    monitor_on_event,
    monitor_on_trailing,
    monitor_run,
    monitor_step,
    monitor_switch,
)

__all__ = [
    "StepResult",
    "active_frames",
    "event_targets",
    "monitor_batch",
    "monitor_finish",
    "monitor_on_event",
    "monitor_on_trailing",
    "monitor_run",
    "monitor_step",
    "monitor_switch",
]
