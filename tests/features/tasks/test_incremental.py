"""The bar subscriber: a `market.data.bars.*` event updates the stored features at once; a second
event inside the coalescing window is deferred to the one trailing run, which takes it."""

from __future__ import annotations

import pandas as pd
import pytest

from apps.features import subscriptions
from apps.features.models import FeatureSeries
from apps.features.services.compute import compute_chunk
from apps.features.services.definitions import definition_save
from apps.features.tasks import incremental
from apps.platform import bus

pytestmark = pytest.mark.django_db


def test_the_engine_subscribes_to_every_bar():
    assert any(
        r.pattern == "market.data.bars.*" and r.task_name == incremental.ON_BAR for r in bus.subscribers()
    )
    assert subscriptions.ON_BAR_TASK == incremental.ON_BAR


def test_an_event_updates_now_and_a_burst_is_deferred(sp500_market, fresh_bus, monkeypatch, settings):
    settings.FEATURES_BAR_COALESCE_MS = 60_000
    sma = definition_save(name="sma_5", function="SMA", params={"timeperiod": 5})
    bars = sp500_market["AAA"]
    compute_chunk(definitions=[sma], symbols=["AAA", "BBB"], end=bars.index[-1])  # all but the last bar
    scheduled = []
    monkeypatch.setattr(incremental.update_trailing, "apply_async", lambda **kw: scheduled.append(kw))
    event = {"topic": "market.data.bars.AAA", "payload": {"symbol": "AAA", "interval": "1d"}}
    assert incremental.update_on_bar(event) == {"instruments": 1, "rows": 1}
    assert (
        FeatureSeries.objects.get(definition=sma, instrument_id=bars["instrument_id"].iloc[0]).last_ts
        == bars.index[-1]
    )
    other = {"topic": "market.data.bars.BBB", "payload": {"symbol": "BBB", "interval": "1d"}}
    assert incremental.update_on_bar(other) == {"deferred": "BBB|1d"}
    assert len(scheduled) == 1 and 0 < scheduled[0]["countdown"] <= 60
    assert incremental.update_trailing() == {"instruments": 1, "rows": 1}  # BBB's newest bar
    assert incremental.update_on_bar({"payload": {}}) == {"skipped": "no symbol"}
    assert (
        pd.Timestamp(
            FeatureSeries.objects.get(
                definition=sma, instrument_id=sp500_market["BBB"]["instrument_id"].iloc[0]
            ).last_ts
        )
        == sp500_market["BBB"].index[-1]
    )
