"""The Beat schedule, in code. `manage.py sync_schedules` writes it into django-celery-beat
idempotently, so operators can still pause or retune an entry in the admin.

Every periodic task carries `expires` below its interval: a backlog never replays stale runs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Periodic:
    name: str
    task: str
    every_seconds: float
    expires_seconds: float
    queue: str
    priority: int | None = None
    description: str = ""

    def __post_init__(self) -> None:
        if self.expires_seconds >= self.every_seconds:
            raise ValueError(f"{self.name}: expires must be below the interval")


SCHEDULE: tuple[Periodic, ...] = (
    Periodic(
        name="platform.heartbeat",
        task="apps.platform.tasks.heartbeat",
        every_seconds=10.0,
        expires_seconds=8.0,
        queue="streaming",
        priority=9,
        description="samples queue depths into metrics and publishes system.health.platform",
    ),
    Periodic(
        name="risk.monitor",
        task="apps.risk.tasks_monitor.monitor_run",
        every_seconds=5.0,
        expires_seconds=4.0,
        queue="risk",
        priority=0,
        description="checks every limit of every active portfolio; opens, updates and resolves breaches",
    ),
    Periodic(
        name="risk.escalate",
        task="apps.risk.tasks_escalation.escalation_tick",
        every_seconds=5.0,
        expires_seconds=4.0,
        queue="risk",
        priority=0,
        description="climbs unacknowledged breaches up their escalation policy's levels on time",
    ),
    Periodic(
        name="analytics.snapshots_aggregate",
        task="apps.analytics.tasks_aggregation.snapshots_aggregate",
        every_seconds=3600.0,
        expires_seconds=3000.0,
        queue="analytics",
        description="ages performance snapshots: minute -> hour after a day, hour -> day after 30 days",
    ),
)


def as_celery_beat_schedule() -> dict:
    return {
        p.name: {
            "task": p.task,
            "schedule": p.every_seconds,
            # Both spellings: Celery's own scheduler reads `expires`; django-celery-beat's
            # DatabaseScheduler upserts this dict into its table at start-up and only knows
            # `expire_seconds` (without it, every Beat start reset the row's expiry to none).
            "options": {
                "queue": p.queue,
                "expires": p.expires_seconds,
                "expire_seconds": int(p.expires_seconds),
            }
            | ({"priority": p.priority} if p.priority is not None else {}),
        }
        for p in SCHEDULE
    }
