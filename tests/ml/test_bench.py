"""`manage.py bench ml --quick` runs, reports every figure (the batch next to LightGBM's own predict,
the API next to a plain GET), and leaves nothing of its model, instruments or features behind."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from apps.features.models import FeatureDefinition
from apps.marketdata.models import Instrument
from apps.ml.models import MLModel


@pytest.mark.django_db
def test_ml_bench_reports_every_figure_and_cleans_up(fresh_bus):
    out = StringIO()
    call_command("bench", "ml", "--quick", "--json", "--no-progress", stdout=out)
    result = json.loads(out.getvalue())
    figures = {f["name"]: f for f in result["figures"]}
    assert set(figures) == {
        "batch_predictions_per_s",
        "batch_facade_seconds",
        "universe_from_store_ms",
        "universe_from_store_predictions_per_s",
        "api_predict_p50_ms",
        "api_predict_p99_ms",
        "train_lightgbm_seconds",
        "train_lightgbm_rows_per_s",
    }
    assert all(f["value"] > 0 for f in figures.values())
    for name in ("batch_predictions_per_s", "api_predict_p99_ms", "universe_from_store_ms"):
        assert figures[name]["baseline"] > 0, name
    assert result["sizes"]["rows"] == 2000 and result["engine"] == "ml"
    assert not MLModel.objects.filter(name__startswith="benchml-").exists()
    assert not Instrument.objects.filter(symbol__startswith="BENCHML").exists()
    assert not FeatureDefinition.objects.filter(name__startswith="benchml_").exists()
