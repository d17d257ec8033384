"""The 5-second monitor (run.py: steps, runs, the switch and event-driven checks; sync.py: the
breach upsert)."""

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
    "monitor_on_event",
    "monitor_on_trailing",
    "monitor_run",
    "monitor_step",
    "monitor_switch",
]
