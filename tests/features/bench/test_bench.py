"""`manage.py bench features --quick` runs and reports every figure, the catalogue's next to their
plain-TA-Lib baseline, and leaves nothing of its universe behind."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from apps.features.models import FeatureColumns, FeatureDefinition, FeatureRow
from apps.marketdata.models import Instrument


@pytest.mark.django_db(transaction=True)  # the online part serves the data from a uvicorn process
def test_features_bench_reports_every_figure_and_cleans_up(fresh_bus):
    out = StringIO()
    call_command("bench", "features", "--quick", "--json", "--no-progress", stdout=out)
    result = json.loads(out.getvalue())
    figures = {f["name"]: f for f in result["figures"]}
    assert set(figures) >= {
        "catalogue_seconds",
        "catalogue_series_per_s",
        "catalogue_compute_and_store_seconds",
        "store_write_seconds",
        "store_write_values_per_s",
        "incremental_update_ms",
        "historical_join_rows_per_s",
        "online_facade_p99_ms",
        "online_api_test_client_p99_ms",
    }
    assert all(f["value"] > 0 for f in figures.values())
    assert figures["catalogue_seconds"]["baseline"] > 0
    assert (
        figures["catalogue_compute_and_store_seconds"]["baseline"] == figures["catalogue_seconds"]["baseline"]
    )
    assert not Instrument.objects.filter(symbol__startswith="BENCHFEAT").exists()
    assert not FeatureDefinition.objects.exists() and not FeatureColumns.objects.exists()
    assert not FeatureRow.objects.exists()
