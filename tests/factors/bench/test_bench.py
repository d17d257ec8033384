"""`manage.py bench factors --quick` runs and reports every figure (next to its same-run baseline where
it has one),
its formula mix agrees with the pandas versions, and it leaves no bench instrument behind. The
pandas versions themselves are checked on a hand-worked case (they are the bench's reference)."""

from __future__ import annotations

import json
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command

from apps.factors.bench.alpha_mix import MIX, frames_of, synthetic_panels
from apps.factors.bench.evaluation import agreement
from apps.marketdata.models import Bar, Instrument


@pytest.mark.django_db
def test_factors_bench_reports_every_figure_with_a_baseline_and_cleans_up():
    out = StringIO()
    call_command("bench", "factors", "--quick", "--json", "--no-progress", stdout=out)
    result = json.loads(out.getvalue())
    figures = {f["name"]: f for f in result["figures"]}
    assert set(figures) == {
        "correlation_ms[complete]",
        "correlation_ms[complete, numpy baseline]",
        "correlation_ms[gaps_2pct]",
        "correlation_ms[late_starts_10pct]",
        "formulas_per_s[cold]",
        "formulas_per_s[warm, cache hits]",
        "formula_values_per_s[cold]",
        "floor_formulas_per_s[$close/$open, cold]",
        "stored_formulas_per_s[cold]",
        "stored_formulas_per_s[warm, cache hits]",
        "alpha158_s[cold]",
        "alpha158_s[warm, cache hits]",
        "screening_factors_per_s",
        "screening_compile_per_s",
    }
    unbaselined = {
        "alpha158_s[cold]",
        "alpha158_s[warm, cache hits]",
        "screening_factors_per_s",
        "screening_compile_per_s",
    }
    for name, f in figures.items():
        assert f["value"] > 0, f
        if name not in unbaselined:  # Alpha158 is compared with Qlib's published figure (README)
            assert f["baseline"] > 0 and f["ratio"] > 0, f
    assert "formulas vs pandas: every formula agrees" in result["notes"]
    assert any(n.startswith("floor: ") and "(same answer)" in n for n in result["notes"])
    assert not Instrument.objects.filter(symbol__startswith="BENCHFACT").exists()
    assert not Bar.objects.exists()


def test_the_pandas_slope_rsquare_resi_and_idxmax_match_a_hand_worked_window():
    # One column, w = 20 over rows 0..19: x = 2 t + (0 or 1 alternating) -> OLS on t by numpy.polyfit.
    t = np.arange(20.0)
    x = 2 * t + (np.arange(20) % 2)
    panels = {f: np.tile(x[:, None], (1, 1)) for f in ("open", "high", "low", "close", "volume", "vwap")}
    frames = frames_of(panels)
    by_name = {name: fn for name, _, fn in MIX}
    slope, intercept = np.polyfit(t + 1, x, 1)
    fitted = intercept + slope * (t + 1)
    r2 = 1 - ((x - fitted) ** 2).sum() / ((x - x.mean()) ** 2).sum()
    last = x[-1]
    assert by_name["BETA20"](frames).iloc[-1, 0] == pytest.approx(slope / last, rel=1e-12)
    assert by_name["RSQR20"](frames).iloc[-1, 0] == pytest.approx(r2, rel=1e-12)
    assert by_name["RESI20"](frames).iloc[-1, 0] == pytest.approx((x[-1] - fitted[-1]) / last, rel=1e-9)
    assert by_name["IMAX20"](frames).iloc[-1, 0] == pytest.approx(20 / 20)  # the newest is largest
    assert np.isnan(by_name["BETA20"](frames).iloc[18, 0])  # full windows only


def test_agreement_names_a_formula_that_differs():
    panels = synthetic_panels(60, 3)
    frames = frames_of(panels)
    theirs = [fn(frames).to_numpy() for _, _, fn in MIX]
    ours = [a.copy() for a in theirs]
    assert agreement(ours, theirs) == []
    ours[3][-1, 0] *= 1.01
    ours[5][-1, 0] = np.nan
    differ = agreement(ours, theirs)
    assert [d.split(":")[0] for d in differ] == [MIX[3][0], MIX[5][0]]
