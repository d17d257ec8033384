"""`manage.py bench analytics --quick --json`: the figures, the QuantStats baseline from the same run,
and agreement between the two sides."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_bench_analytics_quick_json():
    out = StringIO()
    call_command("bench", "analytics", "--quick", "--json", "--no-progress", stdout=out)
    result = json.loads(out.getvalue())
    assert result["engine"] == "analytics"
    assert result["sizes"] == {
        "portfolios": 50,
        "periods": 252,
        "qs_portfolios": 3,
        "repeats": 2,
        "api_positions": 3,
        "api_requests": 3,
    }
    figures = {f["name"]: f for f in result["figures"]}
    assert sorted(figures) == [
        "api_calculate_p50_ms",
        "api_calculate_p99_ms",
        "metric_sets_per_s",
        "quantstats_loop_sets_per_s",
        "vectorized_seconds",
    ]
    assert figures["api_calculate_p99_ms"]["value"] >= figures["api_calculate_p50_ms"]["value"] > 0
    rate = figures["metric_sets_per_s"]
    assert rate["value"] > 0 and rate["baseline"] == figures["quantstats_loop_sets_per_s"]["value"]
    assert rate["ratio"] == pytest.approx(rate["value"] / rate["baseline"], rel=1e-2)
    assert rate["value"] == pytest.approx(50 / figures["vectorized_seconds"]["value"], rel=1e-2)
    notes = " ".join(result["notes"])
    assert "timed on 3 of the same portfolios" in notes
    # Both sides computed the same numbers for the shared portfolios.
    agreement = next(n for n in result["notes"] if n.startswith("agreement"))
    assert float(agreement.split("difference ")[1].split(" ")[0]) < 1e-8


@pytest.mark.django_db
def test_bench_leaves_no_data_behind():
    from apps.marketdata.models import Instrument
    from apps.portfolio.models import Portfolio

    call_command("bench", "analytics", "--quick", "--json", "--no-progress", stdout=StringIO())
    assert not Instrument.objects.filter(symbol__startswith="BENCHAN").exists()
    assert not Portfolio.objects.filter(code__startswith="benchan_").exists()
