"""Screening: every candidate scored by its daily rank IC (equal to a pandas Spearman per date),
p-values adjusted over all screened (statsmodels' fdr_bh), strongest first, a window longer than
the data reported per candidate rather than failing the screen."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from django.db import models
from statsmodels.stats.multitest import multipletests

from apps.factors.selectors.evaluation import factor_values, formula_compile
from apps.factors.selectors.screening import factors_screen, screening_candidates

pytestmark = pytest.mark.django_db

SYMBOLS = ["AAA", "BBB", "CCC", "DDD", "EEE", "FFF", "GAP", "NOVWAP"]


def test_scores_equal_pandas_and_p_values_are_adjusted_over_everything_screened(factor_market):
    dates = factor_market["AAA"].index
    candidates = screening_candidates(library="generated", first=0, count=150) + [
        ("too_long", "Mean($close, 400)"),
        ("momentum", "$close/Ref($close, 5) - 1"),
    ]
    done = []
    got = factors_screen(
        candidates, symbols=SYMBOLS, start=dates[40], end=dates[-1], progress=lambda k, n: done.append((k, n))
    )
    assert got.screened == 151 and set(got.failed) == {"too_long"}
    assert done[-1] == (151, 151)
    t = [abs(r.t_stat) for r in got.rows if np.isfinite(r.t_stat)]
    assert t == sorted(t, reverse=True)
    by_name = {r.name: r for r in got.rows}
    p = np.array([r.p_value for r in got.rows])
    ok = np.isfinite(p)
    expected = multipletests(p[ok], method="fdr_bh")[1]
    np.testing.assert_allclose(
        [r.p_value_adjusted for r, keep in zip(got.rows, ok, strict=True) if keep], expected, rtol=1e-12
    )
    # The momentum factor's mean rank IC, written with pandas: Spearman per date against the next
    # return, prices carried over gaps as alphalens does.
    values = factor_values(
        [formula_compile("$close/Ref($close, 5) - 1")], symbols=SYMBOLS, start=dates[40], end=dates[-1]
    )
    close = factor_values(
        [formula_compile("$close")], symbols=SYMBOLS, start=dates[40], end=dates[-1]
    ).frame()
    fwd = close.ffill().pct_change(1, fill_method=None).shift(-1)  # alphalens: a gap earns 0%
    per_date = values.frame().corrwith(fwd, axis=1, method="spearman")
    per_date = per_date[values.frame().notna().mul(fwd.notna()).sum(axis=1) >= 2]
    assert by_name["momentum"].mean_ic == pytest.approx(per_date.mean(), rel=1e-10)
    assert by_name["momentum"].n_dates == per_date.notna().sum()
    assert got.best_lucky in (True, False) and 0.0 <= got.best_deflated_p <= 1.0


def test_order_keeping_maps_score_as_the_factor_they_map_and_as_their_own_spearman(factor_market):
    # cs_rank(X), cs_zscore(X), cs_demean(X) and cs_scale(X, 2) keep each date's order of X: the
    # screen scores them once, as X; each must still equal its own Spearman, computed with pandas.
    dates = factor_market["AAA"].index
    inner = "ts_mean($volume, 5)/$close"
    maps = {"x": inner, "rank": f"cs_rank({inner})", "z": f"cs_zscore({inner})",
            "demean": f"cs_demean({inner})", "scale": f"cs_scale({inner}, 2)",
            "neg_scale": f"cs_scale({inner}, -1)"}  # fmt: skip
    got = {
        r.name: r
        for r in factors_screen(list(maps.items()), symbols=SYMBOLS, start=dates[40], end=dates[-1]).rows
    }
    close = factor_values(
        [formula_compile("$close")], symbols=SYMBOLS, start=dates[40], end=dates[-1]
    ).frame()
    fwd = close.ffill().pct_change(1, fill_method=None).shift(-1)
    for name, formula in maps.items():
        values = factor_values(
            [formula_compile(formula)], symbols=SYMBOLS, start=dates[40], end=dates[-1]
        ).frame()
        per_date = values.corrwith(fwd, axis=1, method="spearman")
        per_date = per_date[values.notna().mul(fwd.notna()).sum(axis=1) >= 2]
        assert got[name].mean_ic == pytest.approx(per_date.mean(), rel=1e-10), name
    assert got["neg_scale"].mean_ic == pytest.approx(-got["x"].mean_ic, rel=1e-10)  # reverses: not peeled


def test_library_candidates_are_listed_in_order():
    got = screening_candidates(library="alpha158", first=0, count=3)
    assert [name for name, _ in got] == ["KMID", "KLEN", "KMID2"]


def test_a_factor_reading_a_series_the_database_lacks_is_reported_and_the_cache_sees_every_field(
    factor_market,
):
    from apps.marketdata.models import EconomicSeries, SeriesObservation

    dates = factor_market["AAA"].index
    candidates = [
        ("econ_missing", "ts_corr($close/delay($close,1)-1, $econ.NOPE, 20)"),
        ("econ_known", "ts_corr($close/delay($close,1)-1, delta($econ.DGS10, 1), 20)"),
        ("momentum", "$close/Ref($close, 5) - 1"),
    ]
    series = EconomicSeries.objects.create(code="DGS10")
    SeriesObservation.objects.bulk_create(
        [
            SeriesObservation(
                series=series, date=d.date(), known_at=d + pd.Timedelta(hours=12), value=4 + 0.01 * k
            )
            for k, d in enumerate(dates[::3])
        ]
    )
    first = factors_screen(candidates, symbols=SYMBOLS, start=dates[40], end=dates[-1])
    assert set(first.failed) == {"econ_missing"} and "NOPE" in first.failed["econ_missing"]
    assert first.screened == 2
    # A revision of the series changes the screen's answer: nothing is served from the first screen's cache.
    SeriesObservation.objects.filter(series=series).update(value=models.F("value") * -1)
    second = factors_screen(candidates, symbols=SYMBOLS, start=dates[40], end=dates[-1])
    before = {r.name: r.mean_ic for r in first.rows}
    after = {r.name: r.mean_ic for r in second.rows}
    assert after["momentum"] == before["momentum"]
    assert after["econ_known"] == pytest.approx(-before["econ_known"], rel=1e-9)
