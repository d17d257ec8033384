"""`manage.py bench features --quick` runs and reports both figures next to their baselines."""

from __future__ import annotations

import json
from io import StringIO

from django.core.management import call_command


def test_features_bench_reports_the_catalogue_against_a_plain_talib_loop():
    out = StringIO()
    call_command("bench", "features", "--quick", "--json", "--no-progress", stdout=out)
    result = json.loads(out.getvalue())
    figures = {f["name"]: f for f in result["figures"]}
    assert set(figures) == {"catalogue_seconds", "catalogue_series_per_s"}
    assert all(f["value"] > 0 and f["baseline"] > 0 for f in figures.values())
    assert result["sizes"]["functions"] > 150
