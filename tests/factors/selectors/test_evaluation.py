"""Formulas over stored bars: the panels follow the union calendar (a missing bar is NaN, not a
shifted row), the look-back is loaded from before the window, `$vwap` falls back to the typical
price only where the source gives none, group fields label sectors, and equal data is served from
the cache while new data is not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from apps.factors.kernels.expressions import FormulaError
from apps.factors.selectors.evaluation import NoData, factor_values, formula_compile, panel_cache
from apps.marketdata import facade as marketdata
from apps.marketdata.services.storage import bars_upsert

pytestmark = pytest.mark.django_db

SYMBOLS = ["AAA", "BBB", "GAP", "NOVWAP"]


def _wide(factor_market, field: str) -> pd.DataFrame:
    """The reference panel, built with pandas from the fixture's own frames."""
    return pd.DataFrame({s: factor_market[s][field] for s in SYMBOLS})


def test_time_series_formulas_equal_pandas_on_the_union_calendar_with_history_before_the_window(
    factor_market,
):
    dates = factor_market["AAA"].index
    start, end = dates[100], dates[250]
    got = factor_values(
        [formula_compile("Mean($close, 20)/$close"), formula_compile("Ref($close, 5)")],
        symbols=SYMBOLS,
        start=start,
        end=end,
    )
    close = _wide(factor_market, "close")  # GAP's missing bars are NaN rows of its column
    window = (close.index >= start) & (close.index < end)
    np.testing.assert_allclose(got.values[0], (close.rolling(20).mean() / close)[window], rtol=1e-12)
    np.testing.assert_allclose(got.values[1], close.shift(5)[window], rtol=0)
    assert list(got.dates) == list(close.index[window]) and got.symbols == tuple(SYMBOLS)
    assert not np.isnan(got.values[0][:, 0]).any()  # AAA: the 20 bars before the window were loaded
    assert np.isnan(got.values[0][:, 2]).sum() > 0  # GAP: windows holding a missing bar are NaN


def test_vwap_is_the_sources_where_given_and_the_typical_price_otherwise(factor_market):
    dates = factor_market["AAA"].index
    got = factor_values([formula_compile("$vwap")], symbols=["AAA", "NOVWAP"], start=dates[0], end=dates[10])
    aaa, novwap = factor_market["AAA"].iloc[:10], factor_market["NOVWAP"].iloc[:10]
    np.testing.assert_allclose(got.values[0][:, 0], aaa["vwap"], rtol=1e-12)
    np.testing.assert_allclose(
        got.values[0][:, 1], (novwap["high"] + novwap["low"] + novwap["close"]) / 3, rtol=1e-12
    )


def test_sector_neutralization_demeans_within_each_sector_and_leaves_an_unknown_sector_out(factor_market):
    dates = factor_market["AAA"].index
    symbols = ["AAA", "BBB", "CCC", "DDD", "NOVWAP"]  # Tech, Tech, Energy, Energy, none
    got = factor_values(
        [formula_compile("cs_neutralize($close, $sector)")], symbols=symbols, start=dates[0], end=dates[5]
    )
    close = pd.DataFrame({s: factor_market[s]["close"] for s in symbols}).iloc[:5]
    tech, energy = close[["AAA", "BBB"]], close[["CCC", "DDD"]]
    np.testing.assert_allclose(got.values[0][:, :2], tech.sub(tech.mean(axis=1), axis=0), rtol=1e-12)
    np.testing.assert_allclose(got.values[0][:, 2:4], energy.sub(energy.mean(axis=1), axis=0), rtol=1e-12)
    assert np.isnan(got.values[0][:, 4]).all()


def test_a_window_longer_than_the_data_and_an_empty_window_are_refused(factor_market):
    dates = factor_market["AAA"].index
    with pytest.raises(FormulaError, match="window longer than the data"):
        factor_values([formula_compile("Mean($close, 400)")], symbols=SYMBOLS, start=dates[0], end=dates[-1])
    with pytest.raises(NoData):
        factor_values(
            [formula_compile("$close")],
            symbols=SYMBOLS,
            start=pd.Timestamp("2030-01-01", tz="UTC"),
            end=pd.Timestamp("2030-02-01", tz="UTC"),
        )


def test_equal_data_is_served_from_the_cache_and_a_corrected_bar_is_not(factor_market):
    dates = factor_market["AAA"].index
    formula = formula_compile("ts_std($close, 10)")
    ask = dict(symbols=["AAA"], start=dates[50], end=dates[60])
    first = factor_values([formula], **ask)
    hits = panel_cache().hits
    again = factor_values([formula], **ask)
    assert panel_cache().hits == hits + 1 and again.fingerprint == first.fingerprint
    np.testing.assert_array_equal(again.values[0], first.values[0])
    fixed = factor_market["AAA"].iloc[[55]].reset_index()
    fixed["close"] = fixed["adj_close"] = (
        fixed["high"] + fixed["low"]
    ) / 2  # a corrected bar inside the window
    fixed["instrument_id"] = marketdata.instrument_get("AAA").id
    bars_upsert(fixed, interval="1d")
    changed = factor_values([formula], **ask)
    assert changed.fingerprint != first.fingerprint
    assert not np.array_equal(changed.values[0], first.values[0], equal_nan=True)


def test_an_economic_series_is_the_value_published_by_each_bars_close_for_every_instrument(factor_market):
    from apps.marketdata.models import EconomicSeries, SeriesObservation

    dates = factor_market["AAA"].index
    series = EconomicSeries.objects.create(code="DGS10")
    day = pd.Timedelta(days=1)
    SeriesObservation.objects.bulk_create(
        [  # the observation of dates[2] is published during dates[3], then revised during dates[6]
            SeriesObservation(
                series=series, date=dates[2].date(), known_at=dates[3] + pd.Timedelta(hours=12), value=4.0
            ),
            SeriesObservation(
                series=series, date=dates[2].date(), known_at=dates[6] + pd.Timedelta(hours=12), value=4.2
            ),
            SeriesObservation(series=series, date=dates[7].date(), known_at=dates[8] + day * 3, value=3.9),
        ]
    )
    got = factor_values(
        [formula_compile("$econ.DGS10 - 4")], symbols=["AAA", "BBB"], start=dates[0], end=dates[15]
    ).frame()
    # Known at a bar's close (the next day): dates[3]'s bar closes after the noon release.
    expected = pd.Series(np.nan, index=dates[:15])
    expected[dates[3] : dates[5]] = 0.0
    expected[dates[6] :] = 0.2
    expected[
        dates[11] - day :
    ] = -0.1  # published 3 days after dates[8], visible from the bar closing after it
    assert (got["AAA"] == got["BBB"]).sum() == np.isfinite(expected).sum()
    got_a = got["AAA"]
    np.testing.assert_allclose(got_a.to_numpy(), expected.reindex(got_a.index).to_numpy(), rtol=1e-12)
    with pytest.raises(Exception, match="DGS99"):
        factor_values([formula_compile("$econ.DGS99")], symbols=["AAA"], start=dates[0], end=dates[5])
