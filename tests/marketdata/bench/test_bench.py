"""`manage.py bench marketdata --quick --json`: the figures, their baselines, and nothing left behind."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from apps.marketdata.models import Bar, Instrument


@pytest.mark.django_db
def test_bench_marketdata_quick_json_shape_and_cleanup():
    Instrument.objects.create(symbol="KEEP")
    out = StringIO()
    call_command("bench", "marketdata", "--quick", "--json", "--no-progress", stdout=out)
    result = json.loads(out.getvalue())
    assert result["engine"] == "marketdata"
    assert result["sizes"]["instruments"] == 10 and result["sizes"]["bars"] == 100
    figures = {f["name"]: f for f in result["figures"]}
    assert sorted(figures) == [
        "copy_load_bars_per_s",
        "copy_reload_bars_per_s",
        "orm_bulk_create_bars_per_s",
        "panel_raw_sql_seconds",
        "panel_read_seconds",
    ]
    for name in ("copy_load_bars_per_s", "copy_reload_bars_per_s", "panel_read_seconds"):
        fig = figures[name]
        assert fig["value"] > 0 and fig["baseline"] > 0
        assert fig["ratio"] == pytest.approx(fig["value"] / fig["baseline"], rel=1e-2)
    assert any(
        n.startswith("panel read through") and "252 dates x 10 instruments" in n for n in result["notes"]
    )
    # It cleaned up after itself and touched nothing else.
    assert list(Instrument.objects.values_list("symbol", flat=True)) == ["KEEP"]
    assert not Bar.objects.exists()
