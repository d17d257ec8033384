"""The point-in-time bench runs quick, reports the engine next to its merge_asof baselines (after
checking both answers agree), leaves nothing behind, and its in-memory reference is itself right
on a hand-worked example."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from apps.features.bench.historical import measure, merge_asof_join
from apps.features.models import FeatureDefinition
from apps.marketdata.models import Instrument

pytestmark = pytest.mark.django_db


def test_quick_bench_reports_rows_per_second_next_to_merge_asof():
    figures = {f["name"]: f for f in measure(quick=True, progress=False)}
    assert set(figures) == {
        "historical_join_rows_per_s",
        "historical_read_and_join_rows_per_s",
        "historical_join_seconds",
        "historical_store_read_seconds",
    }
    for name in (
        "historical_join_rows_per_s",
        "historical_read_and_join_rows_per_s",
        "historical_join_seconds",
    ):
        assert figures[name]["value"] > 0 and figures[name]["baseline"] > 0
    assert not FeatureDefinition.objects.filter(name__startswith="bench_pit_").exists()
    assert not Instrument.objects.filter(symbol__startswith="BENCH_PIT_").exists()


def test_the_merge_asof_reference_on_a_hand_worked_example():
    day = pd.Timedelta(days=1)
    t0 = pd.Timestamp("2024-01-01", tz="UTC")
    right = pd.DataFrame(
        {"symbol": ["A", "A", "B"], "known_at": [t0 + day, t0 + 3 * day, t0 + day], "f@1": [1.0, 3.0, 7.0]}
    )
    right = right.sort_values("known_at", kind="stable")
    entities = pd.DataFrame(
        {
            "symbol": ["A", "A", "B", "A", "B"],
            "ts": [t0 + 3 * day, t0 + 3 * day - pd.Timedelta(1, "us"), t0 + 3 * day, t0, t0 + 2 * day],
        }
    )
    got = merge_asof_join(entities, right, ["f@1"], 2 * day)
    # A at day 3: known exactly then; a microsecond before: day 1's; B at day 3: day 1's is 2 days
    # old, at the TTL: missing; A at day 0: nothing yet; B at day 2: 1 day old.
    np.testing.assert_array_equal(got["f@1"], [3.0, 1.0, np.nan, np.nan, 7.0])
    assert got["symbol"].tolist() == ["A", "A", "B", "A", "B"]
