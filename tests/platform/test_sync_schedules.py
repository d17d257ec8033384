from io import StringIO

import pytest
from django.core.management import call_command
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from apps.platform.management.commands.sync_schedules import OWNED_MARK, schedules_sync
from workers.schedule import SCHEDULE, Periodic

pytestmark = pytest.mark.django_db

HEARTBEAT = Periodic("t.heartbeat", "apps.platform.tasks.heartbeat", 10.0, 8.0, "streaming", 9, "beat")
MONITOR = Periodic("t.monitor", "apps.risk.tasks.monitor", 5.0, 4.0, "risk", 0, "risk cycle")


def test_command_writes_the_code_schedule_with_queue_priority_and_expiry():
    out = StringIO()
    call_command("sync_schedules", stdout=out)
    assert f"{len(SCHEDULE)} created" in out.getvalue()
    for p in SCHEDULE:
        row = PeriodicTask.objects.get(name=p.name)
        assert row.task == p.task
        assert row.queue == p.queue
        assert row.priority == p.priority
        assert row.expire_seconds == int(p.expires_seconds)
        assert row.interval.every == int(p.every_seconds)
        assert row.interval.period == IntervalSchedule.SECONDS
        assert row.enabled
        assert row.description.startswith(OWNED_MARK)


def test_running_twice_creates_nothing_new():
    schedules_sync(schedule=(HEARTBEAT, MONITOR))
    counts = (PeriodicTask.objects.count(), IntervalSchedule.objects.count())
    report = schedules_sync(schedule=(HEARTBEAT, MONITOR))
    assert (PeriodicTask.objects.count(), IntervalSchedule.objects.count()) == counts
    assert report.created == [] and report.updated == []
    assert sorted(report.unchanged) == ["t.heartbeat", "t.monitor"]


def test_changed_interval_and_expiry_update_the_existing_row():
    schedules_sync(schedule=(MONITOR,))
    pk = PeriodicTask.objects.get(name="t.monitor").pk
    faster = Periodic("t.monitor", "apps.risk.tasks.monitor", 2.0, 1.0, "risk", 0, "risk cycle")
    report = schedules_sync(schedule=(faster,))
    row = PeriodicTask.objects.get(name="t.monitor")
    assert report.updated == ["t.monitor"]
    assert row.pk == pk
    assert (row.interval.every, row.expire_seconds) == (2, 1)


def test_sub_second_interval_is_stored_in_microseconds():
    schedules_sync(schedule=(Periodic("t.fast", "apps.risk.tasks.x", 0.5, 0.25, "risk"),))
    row = PeriodicTask.objects.get(name="t.fast")
    assert (row.interval.every, row.interval.period) == (500_000, IntervalSchedule.MICROSECONDS)
    assert row.schedule.run_every.total_seconds() == 0.5


def test_operator_pause_survives_a_resync():
    schedules_sync(schedule=(HEARTBEAT,))
    PeriodicTask.objects.filter(name="t.heartbeat").update(enabled=False)
    schedules_sync(schedule=(HEARTBEAT,))
    assert PeriodicTask.objects.get(name="t.heartbeat").enabled is False


def test_entries_removed_from_code_are_disabled_not_deleted_and_come_back():
    schedules_sync(schedule=(HEARTBEAT, MONITOR))
    report = schedules_sync(schedule=(HEARTBEAT,))
    assert report.disabled == ["t.monitor"]
    assert PeriodicTask.objects.get(name="t.monitor").enabled is False
    assert PeriodicTask.objects.get(name="t.heartbeat").enabled is True

    # a second run does not count it again, and bringing it back re-enables it
    assert schedules_sync(schedule=(HEARTBEAT,)).disabled == []
    schedules_sync(schedule=(HEARTBEAT, MONITOR))
    assert PeriodicTask.objects.get(name="t.monitor").enabled is True


def test_tasks_we_do_not_own_are_left_alone():
    interval = IntervalSchedule.objects.create(every=60, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name="ops.custom", task="x.y", interval=interval, description="by hand")
    schedules_sync(schedule=(HEARTBEAT,))
    assert PeriodicTask.objects.get(name="ops.custom").enabled is True


def test_beat_start_up_upsert_agrees_with_the_sync():
    # DatabaseScheduler writes settings.CELERY_BEAT_SCHEDULE into the same table on every start;
    # it must neither duplicate our rows nor wipe their expiry.
    from django.conf import settings
    from django_celery_beat.schedulers import ModelEntry

    from nautilus.celery import app

    schedules_sync()
    count = PeriodicTask.objects.count()
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        ModelEntry.from_entry(name, app=app, **entry)
    assert PeriodicTask.objects.count() == count
    for p in SCHEDULE:
        row = PeriodicTask.objects.get(name=p.name)
        assert row.expire_seconds == int(p.expires_seconds)
        assert row.description.startswith(OWNED_MARK)
    assert schedules_sync().updated == []
