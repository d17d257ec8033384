"""A full run split into batches for the risk pool: the batches (JSON round-tripped, as Celery
carries them) and their finish open the same breaches and record the same run as the sequential
run; a failing batch is counted, not fatal."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from apps.platform import bus
from apps.risk.models import Breach, BreachEvent, MonitorState
from apps.risk.services import monitor
from tests.risk.conftest import make_instrument, make_limit, make_portfolio, store_daily_bars

T0 = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


@pytest.fixture
def many(user):
    """Five portfolios holding AAA: 100, 200, ... 500 units at 10; a global max_position warn 1500,
    breach 3500 → p1 ok (1000), p2 and p3 warn, p4 and p5 breach. And an empty portfolio, never
    checked."""
    make_instrument("AAA")
    store_daily_bars("AAA", [10.0] * 5)
    pfs = [make_portfolio(f"p{i}", owner=user, positions={"AAA": 100 * i}, cash=0) for i in range(1, 6)]
    make_portfolio("empty", owner=user, positions={}, cash=0)
    limit = make_limit(None, limit_type="max_position", warn_threshold=1500, breach_threshold=3500)
    return pfs, limit


EXPECTED = [
    ("p2", "warn", "open", 2000.0),
    ("p3", "warn", "open", 3000.0),
    ("p4", "breach", "open", 4000.0),
    ("p5", "breach", "open", 5000.0),
]


def _json(x):
    return json.loads(json.dumps(x))


def _breaches():
    return sorted(Breach.objects.values_list("portfolio__code", "level", "status", "last_value"))


def _parallel(now, commits, fail=None):
    """A run as the Beat task does it, the chord played by hand: every batch, then the finish."""
    sent = []
    out = monitor.monitor_run(now=now, dispatch=lambda batches, run: sent.append(_json([batches, run])))
    ((batches, run),) = sent
    assert out["dispatched"] == len(batches) and out["portfolios"] == sum(map(len, batches))
    with commits(execute=True):
        results = [_json(monitor.monitor_batch(portfolio_ids=ids, now=run["now"])) for ids in batches]
        return batches, monitor.monitor_finish(results=results, run=run)


def test_batches_and_finish_equal_the_sequential_run(
    many, fresh_bus, django_capture_on_commit_callbacks, settings
):
    settings.RISK_MONITOR_BATCH_SIZE = 2
    batches, out = _parallel(T0, django_capture_on_commit_callbacks)
    pfs, _ = many
    assert batches == [[pfs[0].pk, pfs[1].pk], [pfs[2].pk, pfs[3].pk], [pfs[4].pk]]
    assert (out["portfolios"], out["opened"], out["errors"], out["batches"]) == (5, 4, 0, 3)
    assert _breaches() == EXPECTED
    assert BreachEvent.objects.filter(action="opened").count() == 4
    state = MonitorState.load()
    assert (state.runs_total, state.last_portfolios, state.last_opened, state.last_error) == (1, 5, 4, "")
    assert state.last_started_at == T0
    assert len(list(bus.subscribe("risk.breaches.*", last_id="0", follow=False))) == 4

    # The sequential run at the same prices sees nothing new: both paths agree.
    with django_capture_on_commit_callbacks(execute=True):
        again = monitor.monitor_run(now=T0 + timedelta(seconds=5))
    assert (again["portfolios"], again["opened"], again["level_raised"], again["resolved"]) == (5, 0, 0, 0)
    assert _breaches() == EXPECTED


def test_one_batch_runs_inline_and_a_failing_batch_is_recorded(
    many, fresh_bus, django_capture_on_commit_callbacks, settings, monkeypatch
):
    sent = []
    with django_capture_on_commit_callbacks(execute=True):
        out = monitor.monitor_run(now=T0, dispatch=lambda *a: sent.append(a))
    assert sent == [] and out["opened"] == 4  # 500 per batch: one batch, no fan-out

    settings.RISK_MONITOR_BATCH_SIZE = 3
    real_step = monitor.run.monitor_step
    p5 = many[0][4].pk

    def step(**kw):
        if p5 in set(kw["frames"][0]["id"]):  # the second batch (p4, p5) fails
            raise RuntimeError("lost the database")
        return real_step(**kw)

    monkeypatch.setattr(monitor.run, "monitor_step", step)
    _, out = _parallel(T0 + timedelta(seconds=5), django_capture_on_commit_callbacks)
    assert (out["portfolios"], out["errors"], out["batches"]) == (3, 1, 2)
    state = MonitorState.load()
    assert "RuntimeError('lost the database')" in state.last_error and state.runs_total == 2
    assert state.last_error.startswith(f"batch from portfolio {many[0][3].pk}")
