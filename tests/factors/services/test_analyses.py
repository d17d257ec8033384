"""analysis_run: the stored numbers equal alphalens-reloaded's on the same factor and prices (IC,
rank IC by sector, quantile returns, spread, turnover), an identical request returns the stored rows,
and p_value_adjusted is Benjamini-Hochberg over the run's factors."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from alphalens import performance, utils
from statsmodels.stats.multitest import multipletests

from apps.factors.models import FactorAnalysis
from apps.factors.services.analyses import analysis_run
from apps.factors.services.definitions import definition_save

pytestmark = pytest.mark.django_db

SYMBOLS = ["AAA", "BBB", "CCC", "DDD", "EEE", "GAP", "NOVWAP", "FFF"]
HORIZONS = [1, 5, 10]


def _window(factor_market):
    dates = factor_market["AAA"].index
    return dates[40], dates[260]


def _alphalens(factor_market, start, end):
    """alphalens's factor_data for 5-bar momentum, built with pandas from the fixture's frames."""
    close = pd.DataFrame({s: factor_market[s]["close"] for s in SYMBOLS}).sort_index()
    factor = close / close.shift(5) - 1  # GAP's missing bars are NaN rows, as on the union calendar
    inside = (close.index >= start) & (close.index < end)
    close, factor = close[inside], factor[inside]
    sectors = {
        s: ("Tech" if s in ("AAA", "BBB", "FFF") else "Energy" if s in ("CCC", "DDD") else "Health")
        for s in SYMBOLS
    }
    sectors["NOVWAP"] = "none"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = utils.get_clean_factor_and_forward_returns(
            factor.stack(),
            close,
            groupby=sectors,
            quantiles=5,
            periods=tuple(HORIZONS),
            filter_zscore=None,
            max_loss=1.0,
        )
    return data


def test_stored_numbers_equal_alphalens_on_the_same_panel(factor_market):
    mom = definition_save(name="mom_5", formula="$close / Ref($close, 5) - 1")
    start, end = _window(factor_market)
    (row,) = analysis_run(definitions=[mom], symbols=SYMBOLS, start=start, end=end, horizons=HORIZONS)
    data = _alphalens(factor_market, start, end)
    res = row.results
    dates = pd.DatetimeIndex(res["dates"])

    ic = performance.factor_information_coefficient(data)  # Spearman per date
    for k, col in enumerate(["1D", "5D", "10D"]):
        ours = pd.Series(res["series"]["rank_ic"][k], index=dates, dtype=float).dropna()
        theirs = ic[col].dropna()
        assert list(ours.index) == list(theirs.index)
        np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), rtol=1e-10)
        assert res["rank_ic"]["mean"][k] == pytest.approx(theirs.mean(), rel=1e-10)
        assert res["rank_ic"]["std"][k] == pytest.approx(theirs.std(), rel=1e-10)
    assert row.rank_ic_mean == pytest.approx(ic["1D"].mean(), rel=1e-10)
    assert row.icir == pytest.approx(ic["1D"].mean() / ic["1D"].std(), rel=1e-10)

    mean_q, _ = performance.mean_return_by_quantile(data, demeaned=True)
    rates = mean_q.apply(utils.rate_of_return, axis=0, base_period="1D")
    np.testing.assert_allclose(np.array(res["quantile_mean"]).T, rates.to_numpy(), rtol=1e-9)

    by_date, se = performance.mean_return_by_quantile(data, by_date=True, demeaned=True)
    by_date = by_date.apply(utils.rate_of_return, axis=0, base_period="1D")
    spread, _ = performance.compute_mean_returns_spread(by_date, 5, 1, se)
    ours = pd.Series(res["series"]["spread"][0], index=dates, dtype=float).dropna()
    np.testing.assert_allclose(ours.to_numpy(), spread["1D"].dropna().to_numpy(), rtol=1e-9)
    assert row.spread == pytest.approx(spread["1D"].mean(), rel=1e-9)

    turnover = performance.quantile_turnover(data["factor_quantile"], 5, period=1)
    ours = pd.Series(res["series"]["turnover_top"][0], index=dates, dtype=float)
    np.testing.assert_allclose(ours.dropna().to_numpy(), turnover.dropna().to_numpy(), rtol=1e-12)
    assert row.turnover == pytest.approx(turnover.mean(), rel=1e-12)

    by_sector = performance.factor_information_coefficient(data, by_group=True).groupby("group").mean()
    assert res["by_sector"]["sectors"] == ["Energy", "Health", "Tech"]  # NOVWAP has no sector
    for g, name in enumerate(res["by_sector"]["sectors"]):
        np.testing.assert_allclose(
            res["by_sector"]["rank_ic_mean"][g], by_sector.loc[name].to_numpy(), rtol=1e-10
        )


def test_an_identical_request_returns_the_stored_rows_and_a_new_key_adds_rows(factor_market):
    mom = definition_save(name="mom_5", formula="$close / Ref($close, 5) - 1")
    rev = definition_save(name="rev_3", formula="Ref($close, 3) / $close")
    start, end = _window(factor_market)
    ask = dict(symbols=SYMBOLS[:6], start=start, end=end)
    first = analysis_run(definitions=[mom, rev], **ask)
    again = analysis_run(definitions=[mom, rev], **ask)
    assert [r.pk for r in again] == [r.pk for r in first] and FactorAnalysis.objects.count() == 2
    # mom alone reads the same data: its row is found, whatever else the first run evaluated
    (alone,) = analysis_run(definitions=[mom], **ask)
    assert alone.pk == first[0].pk
    other = analysis_run(definitions=[mom], horizons=[1, 2], **ask)
    assert other[0].pk != first[0].pk and FactorAnalysis.objects.count() == 3
    assert first[0].horizons == [1, 5, 10] and first[0].results["family"] == ["mom_5@1", "rev_3@1"]


def test_p_value_adjusted_is_benjamini_hochberg_over_the_runs_factors(factor_market):
    defs = [
        definition_save(name="mom_5", formula="$close / Ref($close, 5) - 1"),
        definition_save(name="rev_3", formula="Ref($close, 3) / $close"),
        definition_save(name="vol_10", formula="ts_std($close / Ref($close, 1), 10)"),
        definition_save(name="range", formula="($high - $low) / $close"),
    ]
    start, end = _window(factor_market)
    rows = analysis_run(definitions=defs, symbols=SYMBOLS, start=start, end=end)
    p = np.array([r.p_value for r in rows])
    expected = multipletests(p, method="fdr_bh")[1]
    np.testing.assert_allclose([r.p_value_adjusted for r in rows], expected, rtol=1e-12)
    for r in rows:  # the headline p-value is the first horizon's rank IC t-test
        series = np.array(r.results["series"]["rank_ic"][0], dtype=float)
        series = series[~np.isnan(series)]
        t = series.mean() / (series.std(ddof=1) / np.sqrt(series.size))
        assert r.t_stat == pytest.approx(t, rel=1e-10)


def test_bad_horizons_and_quantiles_are_refused_by_field(factor_market):
    from django.core.exceptions import ValidationError

    mom = definition_save(name="mom_5", formula="$close / Ref($close, 5) - 1")
    start, end = _window(factor_market)
    with pytest.raises(ValidationError) as caught:
        analysis_run(definitions=[mom], symbols=SYMBOLS, start=start, end=end, horizons=[0])
    assert "horizons" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        analysis_run(definitions=[mom], symbols=SYMBOLS, start=start, end=end, quantiles=1)
    assert "quantiles" in caught.value.message_dict
