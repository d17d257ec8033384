"""Incremental monitor runs: between full sweeps the Beat run checks only the portfolios whose
positions, prices or limits changed (the change set the engine's events and its own writes fill)
plus those with a breach whose hysteresis clock runs. On a randomized sequence of price, trade and limit changes,
a full run right after each incremental one (same moment, same data) finds nothing the incremental
run missed: incremental and full runs open, raise and resolve the same breaches."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from apps.platform import bus
from apps.portfolio.services import transaction_record
from apps.risk.models import Breach, MonitorState
from apps.risk.services import limits as limits_service
from apps.risk.services import monitor
from apps.risk.services.monitor import changes
from tests.risk.conftest import day, make_instrument, make_limit, make_portfolio, store_daily_bars

T0 = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)
SYMBOLS = ("AAA", "BBB", "CCC", "DDD", "EEE")
pytestmark = pytest.mark.django_db


@pytest.fixture
def delivered(monkeypatch):
    """The bus fan-out, as far as the risk engine's subscription goes: every published event its
    check task is routed (bars, executions, bookings) reaches the change set as check_on_event
    records it — without the immediate targeted check, so the incremental run must find the change
    on its own. Answers the events delivered."""
    from apps.platform.bus import fanout
    from apps.risk.subscriptions import CHECK_TASK

    seen = []

    def dispatch(events):
        for e in events:
            if any(r.task_name == CHECK_TASK for r in fanout.routes_for(e.topic)):
                changes.changes_note(changes.event_changes(e.as_dict()))
                seen.append(e.topic)
        return 0

    monkeypatch.setattr(fanout, "dispatch", dispatch)
    return seen


def _table():
    """Every breach as the monitor leaves it (last_seen_at aside: every check stamps it)."""
    return sorted(
        Breach.objects.values_list(
            "id", "limit_id", "portfolio_id", "status", "level", "below_since", "last_value", "peak_value"
        )
    )


@pytest.fixture
def world(user):
    rng = random.Random(17)
    prices = {}
    for s in SYMBOLS:
        make_instrument(s)
        prices[s] = rng.choice([5.0, 10.0, 20.0])
        store_daily_bars(s, [prices[s]] * 3)
    pfs = []
    for i in range(8):
        held = rng.sample(SYMBOLS, 2)
        pfs.append(
            make_portfolio(
                f"inc{i}", owner=user, positions={s: rng.choice([50, 100, 150]) for s in held}, cash=1e6
            )
        )
    own = [make_limit(p, limit_type="max_position", warn_threshold=1200, breach_threshold=2000) for p in pfs]
    glob = make_limit(None, limit_type="gross_exposure", warn_threshold=3500, breach_threshold=5000)
    return pfs, own, glob, prices


def test_incremental_and_full_runs_agree_on_a_random_sequence(
    world, user, fresh_bus, django_capture_on_commit_callbacks, settings, delivered
):
    settings.RISK_MONITOR_FULL_SWEEP_S = 3600  # no sweep falls due: every run is incremental unless told
    settings.RISK_BREACH_RESOLVE_AFTER_SECONDS = 30  # resolutions happen within the sequence
    pfs, own, glob, prices = world
    base = dict(prices)
    rng = random.Random(2026)
    commits = django_capture_on_commit_callbacks
    changes.changes_take()  # the world's own bookings: the first (full) run covers them
    with commits(execute=True):
        first = monitor.monitor_run(now=T0, incremental=True)
    assert first["mode"] == "full"  # no sweep yet

    t, bar_day = T0, 10
    totals = {"opened": 0, "resolved": 0, "level_raised": 0}
    read_incremental = read_full = 0
    for _ in range(40):
        t += timedelta(seconds=20)
        kind = rng.choice(
            ["price", "price", "trade", "limit", "nothing"] + (["global"] if rng.random() < 0.1 else [])
        )
        with commits(execute=True):
            if kind == "price":
                s = rng.choice(SYMBOLS)
                # Around its first price (not a random walk: the books cross their limits both ways).
                prices[s] = round(base[s] * math.exp(rng.uniform(-0.8, 0.6)), 2)
                store_daily_bars(s, [prices[s]], start=day(bar_day))
                bar_day += 1
                bus.publish(f"market.data.bars.{s}", {"symbol": s, "interval": "1d", "close": prices[s]})
            elif kind == "trade":
                p = rng.choice(pfs)
                transaction_record(
                    portfolio=p,
                    type=rng.choice(["buy", "sell"]),
                    instrument=rng.choice(SYMBOLS),
                    quantity=Decimal(rng.choice([25, 50, 100])),
                    price=Decimal("1"),
                    timestamp=t,
                )
            elif kind == "limit":
                lim = rng.choice(own)
                warn = rng.choice([800, 1200, 1600])
                data = {"warn_threshold": warn, "breach_threshold": warn + rng.choice([400, 800])}
                limits_service.limit_update(limit_id=lim.pk, data=data, user=user)
            elif kind == "global":
                data = {"breach_threshold": rng.choice([4000, 5000, 6000])}
                limits_service.limit_update(limit_id=glob.pk, data=data, user=user)

        with commits(execute=True):
            inc = monitor.monitor_run(now=t, incremental=True)
        assert inc["mode"] == ("full" if kind == "global" else "incremental"), kind
        after_incremental = _table()
        with commits(execute=True):
            full = monitor.monitor_run(now=t)
        assert full["mode"] == "full"
        # Nothing left for the full run: the incremental one opened, raised, resolved and started
        # every hysteresis clock it would have.
        assert (full["opened"], full["level_raised"], full["resolved"]) == (0, 0, 0), kind
        assert _table() == after_incremental, kind
        for k in totals:
            totals[k] += inc[k]
        if inc["mode"] == "incremental":
            read_incremental += inc["portfolios"]
            read_full += full["portfolios"]
    # The sequence did exercise every transition, and the incremental runs read less.
    assert totals["opened"] > 0 and totals["resolved"] > 0 and totals["level_raised"] > 0, totals
    assert read_incremental < read_full
    assert {"market.data.bars.AAA", "trading.positions.inc0"} & set(delivered)


def test_what_an_event_or_a_write_adds_to_the_change_set(
    world, user, fresh_bus, django_capture_on_commit_callbacks
):
    pfs, own, glob, _ = world
    assert changes.event_changes({"topic": "market.data.bars.aaa", "payload": {"symbol": "aaa"}}) == ["s:AAA"]
    for topic in ("trading.executions.inc0", "trading.positions.inc0"):
        assert changes.event_changes({"topic": topic, "payload": {"portfolio_id": 7}}) == ["p:7"]
    assert changes.event_changes({"topic": "system.health.platform", "payload": {}}) == []
    with django_capture_on_commit_callbacks(execute=True):
        limits_service.limit_update(limit_id=own[0].pk, data={"breach_threshold": 2500}, user=user)
    assert changes.changes_take() == {f"p:{pfs[0].pk}"}
    with django_capture_on_commit_callbacks(execute=True):
        limits_service.limit_update(limit_id=glob.pk, data={"breach_threshold": 5500}, user=user)
    assert changes.changes_take() == {"*"}
    assert changes.changes_take() == frozenset()


def test_the_full_sweep_falls_due_and_redis_down_means_full(
    world, fresh_bus, django_capture_on_commit_callbacks, settings, monkeypatch, api_client
):
    settings.RISK_MONITOR_FULL_SWEEP_S = 60
    pfs = world[0]
    changes.changes_take()
    with django_capture_on_commit_callbacks(execute=True):
        first = monitor.monitor_run(now=T0, incremental=True)
        assert first["mode"] == "full" and first["portfolios"] == 8
        breached = set(Breach.objects.exclude(status="resolved").values_list("portfolio_id", flat=True))
        quiet = next(p.pk for p in pfs if p.pk not in breached)
        changes.changes_note([f"p:{quiet}"])
        out = monitor.monitor_run(now=T0 + timedelta(seconds=1), incremental=True)
        # The changed portfolio only: the open breaches are above their levels, nothing they measure moved.
        assert (out["mode"], out["changes"], out["portfolios"]) == ("incremental", 1, 1)
        # A breach whose hysteresis clock runs (as a run that saw it below its warn level leaves it)
        # is checked on every run, changed or not.
        clocked = sorted(breached)[0]
        Breach.objects.filter(portfolio_id=clocked).update(below_since=T0)
        changes.changes_note([f"p:{quiet}"])
        out = monitor.monitor_run(now=T0 + timedelta(seconds=59), incremental=True)
        assert (out["mode"], out["changes"], out["portfolios"]) == ("incremental", 1, 2)
        assert monitor.monitor_run(now=T0 + timedelta(seconds=60), incremental=True)["mode"] == "full"
    state = MonitorState.load()
    assert (state.last_mode, state.last_full_at, state.runs_total) == ("full", T0 + timedelta(seconds=60), 4)
    last = api_client.get("/api/risk/monitor/status").json()["last_run"]
    # Same prices: every unresolved breach is upserted again (one row written each), nothing else.
    unresolved = Breach.objects.exclude(status="resolved").count()
    assert (last["mode"], last["portfolios_read"], last["changes"]) == ("full", 8, 0)
    assert last["breaches_written"] == unresolved > 0

    monkeypatch.setattr(changes, "changes_take", lambda: None)  # Redis cannot say what changed
    with django_capture_on_commit_callbacks(execute=True):
        assert monitor.monitor_run(now=T0 + timedelta(seconds=61), incremental=True)["mode"] == "full"
