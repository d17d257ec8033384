"""`manage.py sync_schedules`: write workers/schedule.py's SCHEDULE into django-celery-beat.

Code is the source of truth for what runs and how often; the database is what Beat's
DatabaseScheduler reads, so operators can pause an entry in the admin. Hence:
- re-running creates nothing new, and only saves rows whose fields actually differ;
- task, interval, queue, priority and expiry follow the code on every run;
- `enabled` is set on creation only, so an operator's pause survives every deploy;
- entries this command wrote that are gone from code are disabled, never deleted (their run history
  and any operator notes stay), and re-enabled if the code brings them back.
Rows are ours when their description starts with OWNED_MARK (or their name is in the code).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from workers.schedule import SCHEDULE, Periodic

OWNED_MARK = "[workers/schedule.py]"
REMOVED_MARK = "[workers/schedule.py: removed from code]"


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)


def _interval_for(every_seconds: float) -> IntervalSchedule:
    # IntervalSchedule.every is an integer: whole seconds when possible, else microseconds.
    if float(every_seconds).is_integer():
        every, period = int(every_seconds), IntervalSchedule.SECONDS
    else:
        every, period = round(every_seconds * 1_000_000), IntervalSchedule.MICROSECONDS
    existing = IntervalSchedule.objects.filter(every=every, period=period).order_by("pk").first()
    return existing or IntervalSchedule.objects.create(every=every, period=period)


def _desired_fields(p: Periodic) -> dict:
    return {
        "task": p.task,
        "interval": _interval_for(p.every_seconds),
        "crontab": None,
        "solar": None,
        "clocked": None,
        "queue": p.queue,
        "priority": p.priority,
        # expire_seconds is a whole number; rounding down keeps it below the interval.
        "expire_seconds": max(1, int(p.expires_seconds)),
        "one_off": False,
        "description": f"{OWNED_MARK} {p.description}".strip(),
    }


@transaction.atomic
def schedules_sync(*, schedule: tuple[Periodic, ...] = SCHEDULE) -> SyncReport:
    report = SyncReport()
    names = {p.name for p in schedule}
    for p in schedule:
        desired = _desired_fields(p)
        row = PeriodicTask.objects.select_for_update().filter(name=p.name).first()
        if row is None:
            PeriodicTask.objects.create(name=p.name, enabled=True, **desired)
            report.created.append(p.name)
            continue
        changed = [k for k, v in desired.items() if getattr(row, k) != v]
        if row.description.startswith(REMOVED_MARK):
            row.enabled = True  # we disabled it when it left the code; it is back
            changed.append("enabled")
        if changed:
            for k in changed:
                if k != "enabled":
                    setattr(row, k, desired[k])
            row.save()  # .save() (not .update()) so Beat's change tracker notices
            report.updated.append(p.name)
        else:
            report.unchanged.append(p.name)

    stale = PeriodicTask.objects.select_for_update().filter(description__startswith=OWNED_MARK)
    for row in stale.exclude(name__in=names):
        row.enabled = False
        row.description = f"{REMOVED_MARK} {row.description.removeprefix(OWNED_MARK).strip()}".strip()
        row.save()
        report.disabled.append(row.name)
    return report


class Command(BaseCommand):
    help = "Write the Beat schedule from workers/schedule.py into django-celery-beat (idempotent)."

    def handle(self, *args, **options) -> None:
        report = schedules_sync()
        for label in ("created", "updated", "disabled"):
            for name in getattr(report, label):
                self.stdout.write(f"{label}: {name}")
        self.stdout.write(
            self.style.SUCCESS(
                f"schedules: {len(report.created)} created, {len(report.updated)} updated, "
                f"{len(report.unchanged)} unchanged, {len(report.disabled)} disabled"
            )
        )
