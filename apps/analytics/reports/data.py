"""The figures of a tear sheet, gathered once and shared by every renderer.

Everything comes from the performance and attribution services (the same numbers the performance,
benchmark and attribution APIs answer), so a report can never disagree with the API. The attribution
table is the stored book's contribution to return and risk by sector and by security over the
report's periods, and Brinson-Fachler by sector when the request names a model benchmark.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..selectors import attribution as attribution_service
from ..selectors import performance as performance_service

# Drawdown details that are dates (ISO strings) rather than numbers: renderers keep them apart.
DATE_FIELDS = ("max_drawdown_peak", "max_drawdown_trough", "max_drawdown_recovery")


@dataclass(frozen=True)
class ReportData:
    portfolio: str
    frequency: str
    periods_per_year: int
    annualization: str
    start: str
    end: str
    benchmark: str | None
    metrics: dict  # name -> float | None (fractions) or ISO date string for DATE_FIELDS
    series: pd.DataFrame  # index: period end (UTC); returns, wealth, drawdown, rolling_*, benchmark_*
    monthly: pd.DataFrame  # year x month (1..12) compounded returns, plus a "year" column
    performance: dict  # performance_report's answer, verbatim
    benchmark_comparison: dict | None  # benchmark_report's answer, None without a benchmark
    attribution: dict | None = None  # the contribution API's answer from the stored book
    brinson: dict | None = None  # the Brinson API's answer against a model benchmark, when asked


def _monthly_table(returns: pd.Series) -> pd.DataFrame:
    """Compounded return of each calendar month, one row per year, and the year's compounded total."""
    r = returns.dropna()
    if r.empty:
        return pd.DataFrame(columns=[*range(1, 13), "year"])
    naive = r.tz_convert("UTC").tz_localize(None) if r.index.tz is not None else r
    by_month = (1.0 + naive).groupby([naive.index.year, naive.index.month]).prod() - 1.0
    table = by_month.unstack().reindex(columns=range(1, 13))
    table.columns.name = None
    table["year"] = (1.0 + naive).groupby(naive.index.year).prod() - 1.0
    table.index.name = "year"
    return table


def _metric_rows(perf: dict, comparison: dict | None) -> dict:
    rows = dict(perf["metrics"])
    rows["money_weighted_return"] = perf["money_weighted_return"]
    dd = perf["max_drawdown"]
    rows["max_drawdown_peak"] = dd["peak"]
    rows["max_drawdown_trough"] = dd["trough"]
    rows["max_drawdown_recovery"] = dd["recovery"]
    rows["max_drawdown_duration_periods"] = dd["duration_periods"]
    rows["max_drawdown_duration_days"] = dd["duration_days"]
    if comparison is not None:
        rows["benchmark_total_return"] = comparison["benchmark_metrics"]["total_return"]
        rows["benchmark_cagr"] = comparison["benchmark_metrics"]["cagr"]
        rows["excess_return"] = comparison["excess_return"]
        rows["relative_return"] = comparison["relative_return"]
    return rows


def _series_frame(perf: dict, comparison: dict | None) -> pd.DataFrame:
    s = perf["series"]
    index = pd.DatetimeIndex(pd.to_datetime(s["ts"], utc=True), name="ts")
    frame = pd.DataFrame({k: np.asarray(v, dtype=float) for k, v in s.items() if k != "ts"}, index=index)
    frame.insert(1, "wealth", (1.0 + frame["returns"].fillna(0.0)).cumprod())
    if comparison is not None:
        frame["benchmark_returns"] = np.asarray(comparison["series"]["benchmark_returns"], dtype=float)
        frame["excess"] = np.asarray(comparison["series"]["excess"], dtype=float)
    return frame


def report_data_gather(
    *, portfolio: str, start=None, end=None, frequency: str | None = None, benchmark: dict | None = None
) -> ReportData:
    """Every figure of the tear sheet; bad input raises the services' field-keyed ValidationError.
    `benchmark`: a model ({"portfolio": CODE} or {"weights": {...}}) for a Brinson table."""
    perf = performance_service.performance_report(
        portfolio=portfolio, start=start, end=end, frequency=frequency
    )
    comparison = None
    if perf["benchmark"]:
        comparison = performance_service.benchmark_report(
            portfolio=portfolio, start=start, end=end, frequency=frequency
        )
    series = _series_frame(perf, comparison)
    window = {"portfolio": portfolio, "start": start, "end": end, "frequency": frequency}
    attribution = attribution_service.contribution_attribute(**window)
    brinson = attribution_service.brinson_attribute(**window, benchmark=benchmark) if benchmark else None
    return ReportData(
        portfolio=perf["portfolio"],
        frequency=perf["frequency"],
        periods_per_year=perf["periods_per_year"],
        annualization=perf["annualization"],
        start=perf["start"],
        end=perf["end"],
        benchmark=perf["benchmark"],
        metrics=_metric_rows(perf, comparison),
        series=series,
        monthly=_monthly_table(series["returns"]),
        performance=perf,
        benchmark_comparison=comparison,
        attribution=attribution,
        brinson=brinson,
    )
