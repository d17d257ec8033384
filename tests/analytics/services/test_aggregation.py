"""Snapshot aging: minute → hour after a day, hour → day after 30 days; last NAV, summed P&L,
compounded return; idempotent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from apps.analytics.models import PerformanceSnapshot, Resolution
from apps.analytics.services.aggregation import snapshots_aggregate
from apps.analytics.tasks.aggregation import snapshots_aggregate as snapshots_aggregate_task
from apps.portfolio.models import Portfolio
from workers.routing import route_task
from workers.schedule import SCHEDULE

pytestmark = pytest.mark.django_db

DAY0 = datetime(2026, 3, 2, tzinfo=UTC)


@pytest.fixture
def pf(user):
    return Portfolio.objects.create(code="agg", name="Aging", owner=user)


def snap(pf, resolution, ts, nav, pnl, ret):
    return PerformanceSnapshot.objects.create(
        portfolio=pf, resolution=resolution, ts=ts, nav=Decimal(nav), pnl=Decimal(pnl), period_return=ret
    )


def rows(pf, resolution):
    return list(PerformanceSnapshot.objects.filter(portfolio=pf, resolution=resolution).order_by("ts"))


def test_minutes_become_an_hour_after_a_day(pf):
    t10 = DAY0 + timedelta(hours=10)
    snap(pf, "minute", t10 + timedelta(minutes=1), "1010.00", "10.00", 0.01)
    snap(pf, "minute", t10 + timedelta(minutes=30), "999.90", "-10.10", -0.01)
    snap(pf, "minute", t10 + timedelta(minutes=59), "1019.898", "19.998", 0.02)
    # the 11:00 hour ends at 12:00, less than a day before `now`: it stays at minute resolution
    snap(pf, "minute", t10 + timedelta(hours=1, minutes=5), "1020.00", "0.102", 0.0001)
    now = DAY0 + timedelta(days=1, hours=11, minutes=30)

    report = snapshots_aggregate(now=now)

    assert report["minute_to_hour"] == {"source_rows": 3, "buckets": 1}
    [hour] = rows(pf, Resolution.HOUR)
    assert hour.ts == t10
    assert hour.nav == Decimal("1019.898")  # the last minute's NAV
    assert hour.pnl == Decimal("19.898")  # 10 - 10.10 + 19.998, exact
    assert hour.period_return == pytest.approx(1.01 * 0.99 * 1.02 - 1, abs=1e-15)  # 0.019898
    assert [m.ts for m in rows(pf, Resolution.MINUTE)] == [t10 + timedelta(hours=1, minutes=5)]


def test_an_hour_ends_exactly_a_day_ago_is_aggregated(pf):
    snap(pf, "minute", DAY0 + timedelta(minutes=59), "100", "1", 0.01)
    assert snapshots_aggregate(now=DAY0 + timedelta(days=1, minutes=59))["minute_to_hour"]["buckets"] == 0
    assert snapshots_aggregate(now=DAY0 + timedelta(days=1, hours=1))["minute_to_hour"]["buckets"] == 1


def test_hours_become_a_day_after_thirty_days(pf):
    snap(pf, "hour", DAY0 + timedelta(hours=9), "1100", "100", 0.10)
    snap(pf, "hour", DAY0 + timedelta(hours=15), "990", "-110", -0.10)
    snap(pf, "hour", DAY0 + timedelta(days=1, hours=9), "1000", "10", 0.0101)
    now = DAY0 + timedelta(days=31, hours=12)  # day 0 ended 30 days 12 hours ago; day 1 only 29.5

    report = snapshots_aggregate(now=now)

    assert report["hour_to_day"] == {"source_rows": 2, "buckets": 1}
    [day] = rows(pf, Resolution.DAY)
    assert (day.ts, day.nav, day.pnl) == (DAY0, Decimal("990"), Decimal("-10"))
    assert day.period_return == pytest.approx(1.1 * 0.9 - 1, abs=1e-15)  # -0.01
    assert len(rows(pf, Resolution.HOUR)) == 1


def test_old_minutes_age_all_the_way_to_a_day_in_one_run_and_totals_are_kept(pf):
    rets = [0.01, -0.02, 0.03, 0.005, -0.001, 0.002]
    pnls = ["1.5", "-2.25", "3", "0.5", "-0.125", "0.25"]
    for i, (r, p) in enumerate(zip(rets, pnls, strict=True)):
        snap(pf, "minute", DAY0 + timedelta(hours=4 * i, minutes=7), f"{1000 + i}", p, r)
    snapshots_aggregate(now=DAY0 + timedelta(days=40))
    assert rows(pf, Resolution.MINUTE) == [] and rows(pf, Resolution.HOUR) == []
    [day] = rows(pf, Resolution.DAY)
    assert day.nav == Decimal("1005")
    assert day.pnl == sum(map(Decimal, pnls))
    growth = 1.0
    for r in rets:
        growth *= 1 + r
    assert day.period_return == pytest.approx(growth - 1, abs=1e-15)


def test_running_twice_is_running_once(pf):
    for m in range(0, 120, 7):
        snap(pf, "minute", DAY0 + timedelta(minutes=m), f"{100 + m}", "0.5", 0.001)
    now = DAY0 + timedelta(days=2)
    first = snapshots_aggregate(now=now)
    state = [(s.resolution, s.ts, s.nav, s.pnl, s.period_return) for s in PerformanceSnapshot.objects.all()]
    second = snapshots_aggregate(now=now)
    assert first["minute_to_hour"] == {"source_rows": 18, "buckets": 2}
    assert second == {
        "minute_to_hour": {"source_rows": 0, "buckets": 0},
        "hour_to_day": {"source_rows": 0, "buckets": 0},
    }
    assert [
        (s.resolution, s.ts, s.nav, s.pnl, s.period_return) for s in PerformanceSnapshot.objects.all()
    ] == state


def test_a_late_minute_folds_into_its_existing_hour(pf):
    snap(pf, "hour", DAY0, "2000", "20", 0.01)
    snap(pf, "minute", DAY0 + timedelta(minutes=12), "1990", "-5", -0.0025)
    snapshots_aggregate(now=DAY0 + timedelta(days=2))
    [hour] = rows(pf, Resolution.HOUR)
    assert (hour.nav, hour.pnl) == (Decimal("2000"), Decimal("15"))
    assert hour.period_return == pytest.approx(1.01 * 0.9975 - 1, abs=1e-15)


def test_portfolios_are_aggregated_separately(pf, other_user):
    other = Portfolio.objects.create(code="agg-2", name="Other", owner=other_user)
    snap(pf, "minute", DAY0 + timedelta(minutes=1), "10", "1", 0.1)
    snap(other, "minute", DAY0 + timedelta(minutes=2), "20", "2", 0.2)
    report = snapshots_aggregate(now=DAY0 + timedelta(days=2), portfolio_ids=[pf.pk])
    assert report["minute_to_hour"] == {"source_rows": 1, "buckets": 1}
    assert rows(pf, Resolution.HOUR)[0].pnl == Decimal("1")
    assert rows(other, Resolution.HOUR) == [] and len(rows(other, Resolution.MINUTE)) == 1


def test_task_takes_json_arguments_and_is_routed_and_scheduled(pf):
    old = datetime.now(UTC) - timedelta(days=3)
    snap(pf, "minute", old, "10", "1", 0.1)
    kwargs = json.loads(json.dumps({"portfolio_ids": [pf.pk]}))
    result = snapshots_aggregate_task.apply(kwargs=kwargs).get()
    assert result["minute_to_hour"] == {"source_rows": 1, "buckets": 1}
    assert len(rows(pf, Resolution.HOUR)) == 1

    name = "apps.analytics.tasks_aggregation.snapshots_aggregate"
    assert snapshots_aggregate_task.name == name
    assert route_task(name, (), {}, {})["queue"] == "analytics"
    [entry] = [p for p in SCHEDULE if p.task == name]
    assert entry.queue == "analytics" and entry.expires_seconds < entry.every_seconds

    # Registered by Celery's autodiscovery of apps.analytics.tasks alone (no CELERY_IMPORTS), in a
    # fresh process where nothing else imported the module first.
    assert name in _registered_by_autodiscovery()


def test_admin_lists_snapshots(pf, client, django_user_model):
    admin = django_user_model.objects.create_superuser(username="root", password="pw-root-123")
    client.force_login(admin)
    snap(pf, "hour", DAY0, "123.45", "1", 0.01)
    res = client.get("/admin/analytics/performancesnapshot/?resolution=hour")
    assert res.status_code == 200
    assert b"123.45" in res.content


def _registered_by_autodiscovery() -> set[str]:
    code = (
        "import django; django.setup(); from nautilus.celery import app; "
        "app.loader.import_default_modules(); app.autodiscover_tasks(force=True); "
        "print('\\n'.join(app.tasks))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "nautilus.settings.test"),
    }
    root = Path(__file__).resolve().parents[3]
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True, cwd=root
    )
    return set(out.stdout.split())
