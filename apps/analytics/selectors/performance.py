"""Performance and benchmark comparison of one stored portfolio: its time-weighted returns (from
`selectors.returns`) through the metric kernels, shaped for the API.

Reads only (no writes), so nothing here is atomic. Errors are Django ValidationErrors keyed by field,
which the API turns into 400s.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from django.conf import settings
from django.core.exceptions import ValidationError

from apps.marketdata import facade as marketdata
from apps.platform.numbers import finite_or_none
from apps.platform.timestamps import iso_utc
from apps.portfolio import facade as portfolio_facade

from ..kernels import metrics as kernel
from ..kernels import threads
from . import returns as returns_service

FREQUENCY_NAMES = {252: "daily", 365: "calendar_daily", 52: "weekly", 12: "monthly"}
DEFAULT_WINDOW = {"1d": 63, "1w": 26, "1mo": 12}

CONVENTIONS = {
    "returns": "time-weighted period returns; deposits and withdrawals are not performance",
    "ratios": "fractions (0.12 is 12%)",
    "annualization": "by periods_per_year: volatility x sqrt(ppy), cagr = (1 + total) ** (ppy / n) - 1",
    "risk_free": "annual rate, de-annualized per period as (1 + rf) ** (1 / ppy) - 1 (QuantStats)",
    "sharpe_sortino_omega": "QuantStats: excess returns; sortino downside = sqrt(sum(min(x, 0)^2) / n)",
    "alpha_beta": "beta = cov/var of excess returns; alpha = arithmetic, (mean excess - beta mean "
    "benchmark excess) x ppy (QuantStats greeks)",
    "information_ratio": "mean/std of (r - b), annualized by sqrt(ppy); tracking_error std(r - b) x sqrt(ppy)",
    "capture": "empyrical up_capture/down_capture (annualized return ratio over up/down benchmark periods)",
    "skew_kurtosis": "bias-corrected sample skewness; kurtosis is excess (normal = 0)",
    "var_cvar": "historical at the 95% level (empyrical), negative = loss",
    "max_drawdown": "negative fraction; peak null = the starting value before the first period",
    "first_period": "performance starts at the first valuation after capital is at risk: the bar at "
    "whose close the book is funded is where the NAV starts, not a period",
    "frequency": "default: the finest bar interval every instrument of the book has, at least daily; "
    "on a book valued daily, weekly and monthly periods compound the daily returns (see pricing)",
}


def _series(values: np.ndarray) -> list:
    return [finite_or_none(v) for v in values]


def _stamps(index: pd.DatetimeIndex) -> list[str]:
    return [iso_utc(ts) for ts in index]


def _metrics(r: np.ndarray, **kwargs) -> dict[str, np.ndarray]:
    """The metric kernel, its thread pool sized from ANALYTICS_KERNEL_THREADS (kernels read no
    settings; a no-op unless the setting changed)."""
    threads.threads_configure(getattr(settings, "ANALYTICS_KERNEL_THREADS", None))
    return kernel.compute_metrics(r, **kwargs)


def _risk_free(risk_free, index: pd.DatetimeIndex) -> tuple[float | np.ndarray, str]:
    """A number is an annual rate; a string names an economic series of annual rates in percent
    (FRED style: 5.2 means 5.2%), taken as known at each date, carried forward between prints."""
    if risk_free is None or risk_free == "":
        return 0.0, "0"
    try:
        return float(risk_free), str(float(risk_free))
    except (TypeError, ValueError):
        pass
    code = str(risk_free)
    try:
        series = marketdata.series_as_of(code, as_of=index[-1], end=index[-1])
    except marketdata.UnknownSeriesError as exc:
        raise ValidationError({"risk_free": f"Not a rate nor a known series: {code!r}."}) from exc
    if series.empty:
        raise ValidationError({"risk_free": f"No observations of series {code!r} before {index[-1].date()}."})
    # The whole history up to the end: the rate in force at the first period may be an old print.
    rates = series.astype(float).reindex(series.index.union(index)).ffill().bfill().reindex(index)
    return rates.to_numpy() / 100.0, f"series {code} (percent)"


def _returns_and_benchmark(*, portfolio: str, start, end, frequency: str | None, benchmark: str | None):
    result = returns_service.portfolio_returns(portfolio=portfolio, start=start, end=end, frequency=frequency)
    symbol = benchmark
    if symbol is None:
        info = portfolio_facade.portfolio_get(portfolio)
        symbol = info.benchmark_symbol if info else None
    elif marketdata.instrument_get(symbol) is None:
        raise ValidationError({"benchmark": f"Unknown instrument {symbol!r}."})
    bench = returns_service.benchmark_on(result, symbol) if symbol else None
    return result, symbol, bench


def _window(window: int | None, frequency: str) -> int:
    if window is None:
        return DEFAULT_WINDOW.get(frequency, 63)
    if window < 2:
        raise ValidationError({"window": "window must be at least 2 periods."})
    return window


def _frame(result, symbol, rf_label) -> dict:
    ppy = result.periods_per_year
    return {
        "portfolio": result.portfolio,
        "frequency": result.frequency,
        "periods_per_year": ppy,
        "annualization": result.annualization
        or f"{FREQUENCY_NAMES.get(ppy, result.frequency)}: {ppy} periods per year",
        "start": iso_utc(result.returns.index[0]),
        "end": iso_utc(result.returns.index[-1]),
        "observations": len(result.returns),
        "benchmark": symbol,
        "risk_free": rf_label,
        "pricing": result.pricing,
    }


def _drawdown(m: dict, index: pd.DatetimeIndex) -> dict:
    peak, trough, rec = (
        int(m[k][0]) for k in ("max_drawdown_peak", "max_drawdown_trough", "max_drawdown_recovery")
    )
    start_ts = index[max(peak, 0)]
    end_ts = index[rec] if rec >= 0 else index[-1]
    has = trough >= 0
    return {
        "depth": finite_or_none(m["max_drawdown"][0]),
        "peak": iso_utc(index[peak]) if peak >= 0 else None,
        "trough": iso_utc(index[trough]) if has else None,
        "recovery": iso_utc(index[rec]) if rec >= 0 else None,
        "recovered": bool(rec >= 0) if has else None,
        "duration_periods": int(m["max_drawdown_duration"][0]),
        "duration_days": (end_ts - start_ts).days if has else 0,
    }


def performance_report(
    *,
    portfolio: str,
    start=None,
    end=None,
    frequency: str | None = None,
    risk_free: float | str | None = 0.0,
    window: int | None = None,
    benchmark: str | None = None,
) -> dict:
    """Every metric of one portfolio over [start, end), with the drawdown and rolling series."""
    result, symbol, bench = _returns_and_benchmark(
        portfolio=portfolio, start=start, end=end, frequency=frequency, benchmark=benchmark
    )
    index = result.returns.index
    r = result.returns.to_numpy(dtype=float)[None, :]
    ppy = result.periods_per_year
    rf, rf_label = _risk_free(risk_free, index)
    w = _window(window, result.frequency)
    b = None if bench is None else bench.to_numpy(dtype=float)
    m = _metrics(r, periods_per_year=ppy, benchmark=b, risk_free=rf)
    names = [*kernel.METRIC_NAMES, *(kernel.BENCHMARK_METRIC_NAMES if b is not None else ())]
    figures = {
        k: finite_or_none(m[k][0]) for k in names if not k.startswith("max_drawdown_") and k != "observations"
    }
    series = {
        "ts": _stamps(index),
        "returns": _series(r[0]),
        "drawdown": _series(kernel.drawdown_series(r)[0]),
        "rolling_sharpe": _series(kernel.rolling_sharpe(r, window=w, periods_per_year=ppy, risk_free=rf)[0]),
        "rolling_volatility": _series(kernel.rolling_volatility(r, window=w, periods_per_year=ppy)[0]),
    }
    if b is not None:
        series["rolling_beta"] = _series(kernel.rolling_beta(r, b, window=w)[0])
    return {
        **_frame(result, symbol, rf_label),
        "money_weighted_return": finite_or_none(result.money_weighted_return),
        "window": w,
        "metrics": figures,
        "max_drawdown": _drawdown(m, index),
        "conventions": CONVENTIONS,
        "series": series,
    }


def benchmark_report(
    *,
    portfolio: str,
    start=None,
    end=None,
    frequency: str | None = None,
    risk_free: float | str | None = 0.0,
    window: int | None = None,
    benchmark: str | None = None,
) -> dict:
    """The portfolio against its benchmark (or `benchmark`): relative performance, the excess return
    series, correlation, beta/alpha, capture ratios, rolling beta."""
    result, symbol, bench = _returns_and_benchmark(
        portfolio=portfolio, start=start, end=end, frequency=frequency, benchmark=benchmark
    )
    if bench is None:
        raise ValidationError(
            {"benchmark": "The portfolio has no benchmark; set one or pass ?benchmark=SYMBOL."}
        )
    index = result.returns.index
    r = result.returns.to_numpy(dtype=float)
    b = bench.to_numpy(dtype=float)
    if np.isnan(b).all():
        raise ValidationError({"benchmark": f"No prices for {symbol} in this period."})
    ppy = result.periods_per_year
    rf, rf_label = _risk_free(risk_free, index)
    w = _window(window, result.frequency)
    both = np.vstack([r, b])
    m = _metrics(both, periods_per_year=ppy, benchmark=b, risk_free=rf)
    relative = {k: finite_or_none(m[k][0]) for k in kernel.BENCHMARK_METRIC_NAMES}
    side = {
        "total_return": (m["total_return"][0], m["total_return"][1]),
        "cagr": (m["cagr"][0], m["cagr"][1]),
        "volatility": (m["volatility"][0], m["volatility"][1]),
        "sharpe": (m["sharpe"][0], m["sharpe"][1]),
        "max_drawdown": (m["max_drawdown"][0], m["max_drawdown"][1]),
    }
    # Over the periods where both are observed, so the two wealth paths compare like for like.
    pair = ~(np.isnan(r) | np.isnan(b))
    wealth_p = np.cumprod(np.where(pair, 1.0 + r, 1.0))
    wealth_b = np.cumprod(np.where(pair, 1.0 + b, 1.0))
    return {
        **_frame(result, symbol, rf_label),
        "window": w,
        "portfolio_metrics": {k: finite_or_none(v[0]) for k, v in side.items()},
        "benchmark_metrics": {k: finite_or_none(v[1]) for k, v in side.items()},
        "excess_return": finite_or_none(wealth_p[-1] - wealth_b[-1]),
        "relative_return": finite_or_none(wealth_p[-1] / wealth_b[-1] - 1.0),
        "metrics": relative,
        "conventions": {
            "excess_return": "compounded portfolio return minus compounded benchmark return",
            "relative_return": "portfolio wealth / benchmark wealth - 1",
            "excess_series": "r - b per period",
            **{k: CONVENTIONS[k] for k in ("alpha_beta", "information_ratio", "capture", "risk_free")},
        },
        "series": {
            "ts": _stamps(index),
            "returns": _series(r),
            "benchmark_returns": _series(b),
            "excess": _series(r - b),
            "relative": _series(wealth_p / wealth_b - 1.0),
            "rolling_beta": _series(kernel.rolling_beta(r[None, :], b, window=w)[0]),
        },
    }
