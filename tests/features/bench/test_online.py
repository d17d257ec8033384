"""The online bench (`apps/features/bench/online.py`) runs quick and reports every figure, each read
next to its stored-rows baseline; it checks its own answer against the stored rows and leaves no
data behind."""

from __future__ import annotations

import pytest

from apps.features.bench.online import measure
from apps.features.models import FeatureDefinition, FeatureLatest, FeatureRow, FeatureSet
from apps.marketdata.models import Instrument


@pytest.mark.django_db(transaction=True)
def test_the_online_bench_reports_facade_and_api_latencies_next_to_the_stored_rows():
    figures = {f["name"]: f for f in measure(quick=True, progress=False)}
    assert set(figures) == {
        *(
            f"online_{where}_{p}_ms"
            for where in ("facade", "facade_spread", "api_test_client", "api_uvicorn")
            for p in ("p50", "p99")
        ),
        "api_floor_test_client_p50_ms",
        "api_floor_test_client_p99_ms",
        "api_floor_uvicorn_p50_ms",
        "api_floor_uvicorn_p99_ms",
        "new_bar_store_write_ms",
        "new_bar_latest_update_ms",
    }
    assert all(f["value"] > 0 for f in figures.values())
    assert all(f["baseline"] > 0 for name, f in figures.items() if name.startswith("online_"))
    assert figures["new_bar_latest_update_ms"]["value"] < figures["new_bar_store_write_ms"]["value"]
    assert not FeatureLatest.objects.exists() and not FeatureRow.objects.exists()
    assert not FeatureDefinition.objects.exists() and not FeatureSet.objects.exists()
    assert not Instrument.objects.filter(symbol__startswith="BENCHON").exists()
