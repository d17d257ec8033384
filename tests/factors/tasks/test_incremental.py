"""The bar subscriber: a `market.data.bars.*` event extends the stored factors whose universe holds
the instrument at once; a second event inside the coalescing window is deferred to the trailing run."""

from __future__ import annotations

import pytest

from apps.factors import subscriptions
from apps.factors.selectors.values import stored_values
from apps.factors.services.definitions import definition_save
from apps.factors.services.values import factor_store
from apps.factors.tasks import incremental
from apps.platform import bus

pytestmark = pytest.mark.django_db


def test_the_engine_subscribes_to_every_bar():
    assert any(
        r.pattern == "market.data.bars.*" and r.task_name == incremental.ON_BAR for r in bus.subscribers()
    )
    assert subscriptions.ON_BAR_TASK == incremental.ON_BAR


def test_an_event_extends_now_and_a_burst_is_deferred(factor_market, fresh_bus, monkeypatch, settings):
    settings.FACTORS_BAR_COALESCE_MS = 60_000
    dates = factor_market["AAA"].index
    definition = definition_save(name="inc_mom", formula="Mean($close, 5)/$close")
    series = factor_store(definition=definition, symbols=["AAA", "BBB"], start=dates[10], end=dates[-1])
    scheduled = []
    monkeypatch.setattr(incremental.update_trailing, "apply_async", lambda **kw: scheduled.append(kw))
    event = {"topic": "market.data.bars.AAA", "payload": {"symbol": "AAA", "interval": "1d"}}
    assert incremental.update_on_bar(event) == {
        "series": 1,
        "rows": 2,
    }  # the last stored date and the new one
    series.refresh_from_db()
    assert series.last_ts == dates[-1] and stored_values(series).index[-1] == dates[-1]
    other = {"topic": "market.data.bars.CCC", "payload": {"symbol": "CCC", "interval": "1d"}}
    assert incremental.update_on_bar(other) == {"deferred": "CCC|1d"}
    assert len(scheduled) == 1
    assert incremental.update_trailing() == {"series": 0, "rows": 0}  # CCC is in no stored universe
    assert incremental.update_on_bar({"payload": {}}) == {"skipped": "no symbol"}
