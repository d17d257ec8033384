"""Outcomes of recorded predictions: the realized forward return is the adjusted close h bars after
the record's bar over its close (hand-computed from the stored bars), read at the bar at or before the
record's time; a record whose h-th bar has not arrived stays open; filling twice changes nothing;
a bar event on the bus reaches the filler through the coalesced task."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.ml.models import PredictionRecord
from apps.ml.services.records import outcomes_fill
from apps.ml.tasks.outcomes import ON_BAR, outcomes_on_bar
from apps.platform import bus
from tests.ml.abtesting import SYMBOL

pytestmark = pytest.mark.django_db


def record(model, version, bar_ts, horizon) -> PredictionRecord:
    return PredictionRecord.objects.create(
        model=model,
        version=version,
        role="plain",
        request_key="k",
        symbol=SYMBOL,
        bar_ts=bar_ts,
        interval="1d",
        horizon=horizon,
        predicted_return=0.001,
        lower_return=-0.01,
        upper_return=0.01,
    )


@pytest.fixture
def records(two_versions, bars):
    model, v1, _ = two_versions
    ts = bars.index
    return {
        "on_bar": record(model, v1, ts[10], 5),
        "between_bars": record(model, v1, ts[20] + dt.timedelta(hours=6), 3),
        "too_recent": record(model, v1, ts[-3], 5),
    }


def test_outcomes_are_forward_returns_of_the_stored_closes(records, bars):
    close, ts = bars["adj_close"].to_numpy(), bars.index
    assert outcomes_fill() == 2
    on_bar, between, recent = (PredictionRecord.objects.get(pk=r.pk) for r in records.values())
    assert on_bar.realized_return == pytest.approx(close[15] / close[10] - 1, rel=1e-12)
    assert on_bar.realized_at == ts[15].to_pydatetime()
    assert between.realized_return == pytest.approx(close[23] / close[20] - 1, rel=1e-12)
    assert between.realized_at == ts[23].to_pydatetime()
    assert recent.realized_return is None and recent.realized_at is None


def test_filling_is_idempotent(records):
    assert outcomes_fill() == 2
    first = list(PredictionRecord.objects.order_by("id").values_list("realized_return", "realized_at"))
    assert outcomes_fill() == 0 and outcomes_fill(symbols=[SYMBOL]) == 0
    assert (
        list(PredictionRecord.objects.order_by("id").values_list("realized_return", "realized_at")) == first
    )


def test_other_symbols_are_left_alone(records):
    assert outcomes_fill(symbols=["MSFT"]) == 0
    assert not PredictionRecord.objects.filter(realized_at__isnull=False).exists()


def test_the_engine_subscribes_to_every_bar():
    assert any(r.pattern == "market.data.bars.*" and r.task_name == ON_BAR for r in bus.subscribers())


def test_a_bar_event_fills_through_the_coalesced_task(records, fresh_bus):
    result = outcomes_on_bar({"payload": {"symbol": SYMBOL.lower(), "interval": "1d"}})
    assert result == {"symbols": 1, "filled": 2}
    assert outcomes_on_bar({"payload": {}}) == {"skipped": "no symbol"}
