"""Performance metrics for many portfolios in one vectorized pass over a returns matrix (P×T).

Every figure follows a named reference so that a quant can check it (the tests do, on real S&P 500
data); ratios are fractions:

- total_return: compounded, prod(1 + r) - 1 (QuantStats `comp`).
- cagr: (1 + total_return) ** (periods_per_year / n) - 1, n = observed periods (QuantStats `cagr`,
  empyrical `annual_return`).
- volatility: std(ddof=1) * sqrt(periods_per_year) (QuantStats, empyrical).
- sharpe, sortino, omega: on excess returns r - rf_p, rf_p = (1 + risk_free) ** (1 / periods_per_year)
  - 1 with risk_free an annual rate, constant or one per period (QuantStats `sharpe`, `sortino`
  (downside deviation sqrt(sum(min(x, 0)^2) / n)), `omega` with required_return 0).
- calmar: cagr / |max_drawdown| (QuantStats).
- max_drawdown and its peak/trough/recovery/duration: see `drawdown.py`.
- beta: cov / var of excess returns over the same rf_p (empyrical `beta`; QuantStats `greeks` with rf 0);
  alpha: (mean(excess) - beta * mean(benchmark excess)) * periods_per_year, arithmetic (QuantStats
  `greeks`; empyrical's `alpha` compounds the same per-period alpha instead).
- tracking_error: std(r - b, ddof=1) * sqrt(periods_per_year); information_ratio: mean(r - b) /
  std(r - b) * sqrt(periods_per_year) (QuantStats' `information_ratio`, which is per period, annualized).
- up_capture, down_capture: empyrical — the annualized return of the portfolio over the periods
  where the benchmark rose (fell), over the benchmark's own annualized return in those periods.
- skew, kurtosis: bias-corrected sample skewness and *excess* kurtosis (pandas, QuantStats).
- var, cvar: historical at `var_level` (0.95 → the 5% tail): var = linear-interpolated 5th
  percentile, cvar = mean of the worst int((n - 1) * 0.05) + 1 returns (empyrical
  `value_at_risk`, `conditional_value_at_risk`); negative numbers are losses.
- best, worst: max and min period return; win_rate: positive periods over non-zero periods (QuantStats).
- correlation: Pearson correlation with the benchmark.

NaN marks a missing observation (a late starter's periods before its first return); every figure
uses the observed periods only, pairs with the benchmark only where both are observed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .drawdown import drawdown_series, max_drawdown, wealth_index
from .rolling import rolling_beta, rolling_sharpe, rolling_volatility
from .threads import block_pool

__all__ = [
    "METRIC_NAMES",
    "BENCHMARK_METRIC_NAMES",
    "Frequency",
    "compute_metrics",
    "drawdown_series",
    "infer_frequency",
    "per_period_rate",
    "rolling_beta",
    "rolling_sharpe",
    "rolling_volatility",
]

METRIC_NAMES = (
    "total_return",
    "cagr",
    "volatility",
    "sharpe",
    "sortino",
    "calmar",
    "omega",
    "max_drawdown",
    "max_drawdown_peak",
    "max_drawdown_trough",
    "max_drawdown_recovery",
    "max_drawdown_duration",
    "skew",
    "kurtosis",
    "var",
    "cvar",
    "best",
    "worst",
    "win_rate",
    "observations",
)
BENCHMARK_METRIC_NAMES = (
    "alpha",
    "beta",
    "correlation",
    "information_ratio",
    "tracking_error",
    "up_capture",
    "down_capture",
)


@dataclass(frozen=True)
class Frequency:
    name: str  # "daily", "calendar_daily", "weekly", "monthly", "quarterly", "annual"
    periods_per_year: int


# Median spacing between observations, in days → the frequency it means.
_SPACINGS = (
    (0.5, 1.5, None),  # daily: business or calendar, decided by weekends below
    (5.0, 8.0, Frequency("weekly", 52)),
    (26.0, 33.0, Frequency("monthly", 12)),
    (85.0, 95.0, Frequency("quarterly", 4)),
    (360.0, 370.0, Frequency("annual", 1)),
)


def infer_frequency(index: pd.DatetimeIndex) -> Frequency:
    """The sampling frequency of a series from its timestamps; ValueError when it cannot tell."""
    index = pd.DatetimeIndex(index)
    if len(index) < 3:
        raise ValueError("at least 3 timestamps are needed to infer a frequency")
    spacing_days = float(np.median(np.diff(index.asi8))) * _unit_ns(index) / 86_400e9
    for low, high, freq in _SPACINGS:
        if low <= spacing_days <= high:
            if freq is not None:
                return freq
            # Assets that trade every day (crypto, FX 24/7) annualize over a 365-day calendar.
            weekend = (index.dayofweek >= 5).mean()
            return Frequency("calendar_daily", 365) if weekend > 0.1 else Frequency("daily", 252)
    raise ValueError(f"cannot infer a frequency from a median spacing of {spacing_days:.3g} days")


def _unit_ns(index: pd.DatetimeIndex) -> float:
    """Nanoseconds per tick of the index's unit (pandas may store s, ms, us or ns)."""
    unit = getattr(index, "unit", "ns")
    return {"s": 1e9, "ms": 1e6, "us": 1e3, "ns": 1.0}[unit]


def per_period_rate(risk_free: float | np.ndarray, periods_per_year: int) -> float | np.ndarray:
    """An annual rate (scalar, per period T, or P×T) as the rate of one period, geometrically."""
    rf = np.asarray(risk_free, dtype=float)
    out = np.power(1.0 + rf, 1.0 / periods_per_year) - 1.0
    return float(out) if out.ndim == 0 else out


def _divide(a, b) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b != 0, a / np.where(b != 0, b, 1.0), np.nan)


def _rowdot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise dot product; a matrix-vector product when `b` is one series shared by every row."""
    return a @ b if b.ndim == 1 else np.einsum("ij,ij->i", a, b)


def _tail(r: np.ndarray, n: np.ndarray, cutoff: float, dense: bool) -> tuple[np.ndarray, np.ndarray]:
    """Historical VaR (linear percentile) and CVaR (empyrical's tail mean) per row."""
    p, t = r.shape
    rows = np.arange(p)
    n = n.astype(int)
    pos = (n - 1) * cutoff
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, np.maximum(n - 1, 0))
    k = ((n - 1) * cutoff).astype(int)
    if dense and p and n[0] >= 2:
        # Every row has the same length, so one partition point serves all: at position hi = lo + 1
        # the order statistic is in place and everything left of it is no larger; the lo-th is their
        # maximum, and the tail mean (k = lo) is their mean. Far cheaper than sorting.
        lo0 = int(lo[0])
        part = np.partition(r, lo0 + 1, axis=1)
        below = part[:, : lo0 + 1]
        at_lo = below.max(axis=1)
        var = at_lo + (part[:, lo0 + 1] - at_lo) * (pos - lo)
        return var, below.mean(axis=1)
    srt = np.sort(r, axis=1)  # NaN sort last, so the observed values come first in order
    var = srt[rows, lo] + (srt[rows, hi] - srt[rows, lo]) * (pos - lo)
    kmax = int(k.max()) + 1 if p else 0
    head = np.where(np.arange(kmax)[None, :] <= k[:, None], srt[:, :kmax], 0.0)
    return var, head.sum(axis=1) / np.maximum(k + 1, 1)


# Rows per block: a block of daily returns stays in the CPU cache across the ~30 passes over it, and
# blocks run on a thread per core (numpy releases the GIL inside its loops).
BLOCK_ROWS = 64


def compute_metrics(
    returns: np.ndarray,
    *,
    periods_per_year: int,
    benchmark: np.ndarray | None = None,
    risk_free: float | np.ndarray = 0.0,
    var_level: float = 0.95,
) -> dict[str, np.ndarray]:
    """Every metric for every portfolio (row) of `returns` (P×T simple returns, NaN = missing).

    `benchmark` is one series (T) shared by all portfolios or one per portfolio (P×T); `risk_free` is
    an annual rate, a constant or one per period (T or P×T). Returns name → array of P values (see the
    module docstring for each definition); the benchmark figures only when a benchmark is given.
    """
    r = np.atleast_2d(np.asarray(returns, dtype=float))
    if r.ndim != 2:
        raise ValueError("returns must be a vector or a portfolios × periods matrix")
    if not 0.5 < var_level < 1.0:
        raise ValueError("var_level must be between 0.5 and 1")
    if periods_per_year <= 0:
        raise ValueError("periods_per_year must be positive")
    p, t = r.shape
    b = None if benchmark is None else np.asarray(benchmark, dtype=float)
    if b is not None and b.shape not in ((t,), (p, t)):
        raise ValueError(f"benchmark must have shape ({t},) or ({p}, {t}), not {b.shape}")
    rf = per_period_rate(risk_free, periods_per_year)
    if isinstance(rf, np.ndarray) and rf.shape not in ((t,), (p, t)):
        raise ValueError(f"risk_free must be a scalar or have shape ({t},) or ({p}, {t})")
    args = (float(periods_per_year), 1.0 - var_level)

    def block(lo: int) -> dict[str, np.ndarray]:
        sl = slice(lo, lo + BLOCK_ROWS)
        bb = b[sl] if b is not None and b.ndim == 2 else b
        rr = rf[sl] if isinstance(rf, np.ndarray) and rf.ndim == 2 else rf
        return _block_metrics(r[sl], bb, rr, *args)

    starts = range(0, max(p, 1), BLOCK_ROWS)
    parts = [block(0)] if p <= BLOCK_ROWS else list(block_pool().map(block, starts))
    return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}


def _block_metrics(r: np.ndarray, b, rf_p, ppy: float, cutoff: float) -> dict[str, np.ndarray]:
    root = np.sqrt(ppy)
    isnan = np.isnan(r)
    dense = not isnan.any()
    # With no gap anywhere (the usual case) every NaN guard below is skipped.
    rz = r if dense else np.where(isnan, 0.0, r)
    n = np.full(r.shape[0], float(r.shape[1])) if dense else (~isnan).sum(axis=1).astype(float)
    out: dict[str, np.ndarray] = {"observations": n.astype(int)}

    with np.errstate(divide="ignore", invalid="ignore"):
        wealth = wealth_index(rz)
        out["total_return"] = wealth[:, -1] - 1.0
        out["cagr"] = np.power(wealth[:, -1], ppy / n) - 1.0

        mean = rz.sum(axis=1) / n
        rc = r - mean[:, None]
        if not dense:
            rc[isnan] = 0.0
        rc2 = rc * rc
        m2 = rc2.sum(axis=1)
        std = np.sqrt(m2 / (n - 1))
        out["volatility"] = std * root

        if isinstance(rf_p, np.ndarray):
            ex = rz - np.where(isnan, 0.0, np.broadcast_to(rf_p, r.shape))
            ex_mean = ex.sum(axis=1) / n
            exc = ex - ex_mean[:, None]
            if not dense:
                exc[isnan] = 0.0
            ex_std = np.sqrt(np.einsum("ij,ij->i", exc, exc) / (n - 1))
        else:
            # A constant rate shifts every return alike: the deviation is unchanged.
            ex = rz - rf_p if rf_p else rz
            if not dense and rf_p:
                ex[isnan] = 0.0
            ex_mean, ex_std = mean - rf_p, std
        out["sharpe"] = _divide(ex_mean, ex_std) * root
        neg = np.minimum(ex, 0.0)
        downside = np.sqrt(np.einsum("ij,ij->i", neg, neg) / n)
        out["sortino"] = _divide(ex_mean, downside) * root
        losses = -neg.sum(axis=1)
        gains = ex_mean * n + losses
        out["omega"] = np.where(losses > 0, _divide(gains, losses), np.nan)

        dd = max_drawdown(rz, wealth=wealth)
        out["max_drawdown"] = dd.depth
        out["max_drawdown_peak"] = dd.peak
        out["max_drawdown_trough"] = dd.trough
        out["max_drawdown_recovery"] = dd.recovery
        out["max_drawdown_duration"] = dd.duration
        out["calmar"] = _divide(out["cagr"], np.abs(dd.depth))

        # Bias-corrected moments, exactly pandas' Series.skew / Series.kurt.
        m3 = np.einsum("ij,ij->i", rc2, rc)
        m4 = np.einsum("ij,ij->i", rc2, rc2)
        out["skew"] = np.sqrt(n * (n - 1)) / (n - 2) * (m3 / n) / (m2 / n) ** 1.5
        out["kurtosis"] = (n * (n + 1) * (n - 1) * m4) / ((n - 2) * (n - 3) * m2 * m2) - 3 * (n - 1) ** 2 / (
            (n - 2) * (n - 3)
        )

        out["var"], out["cvar"] = _tail(r, n, cutoff, dense)
        out["best"] = (r if dense else np.where(isnan, -np.inf, r)).max(axis=1)
        out["worst"] = (r if dense else np.where(isnan, np.inf, r)).min(axis=1)
        wins = np.count_nonzero(rz > 0, axis=1)
        nonzero = np.count_nonzero(rz, axis=1)
        out["win_rate"] = np.where(nonzero > 0, wins / np.maximum(nonzero, 1), 0.0)

        shared = b is not None and b.ndim == 1 and dense and not np.isnan(b).any()
        if shared and not isinstance(rf_p, np.ndarray):
            out.update(_benchmark_shared(r, rc, m2, mean, b, rf_p, ppy))
        elif b is not None:
            out.update(_benchmark_metrics(r, rz, isnan, dense, b, rf_p, ppy))

    empty = n == 0
    if empty.any():
        for value in out.values():
            if value.dtype.kind == "f":
                value[empty] = np.nan
    return out


def _benchmark_shared(r, rc, m2, mean, b, rf_p: float, ppy: float) -> dict[str, np.ndarray]:
    """The common case, computed from the main pass's centred returns: no gaps, one benchmark series
    for every portfolio and a constant risk-free rate (which drops out of every deviation)."""
    t = r.shape[1]
    b_mean = b.mean()
    bc = b - b_mean
    cov = np.einsum("ij,j->i", rc, bc)  # not BLAS: its threads would fight the block threads
    var_b = bc @ bc
    beta = _divide(cov, np.full(r.shape[0], var_b))
    out = {
        "beta": beta,
        "alpha": ((mean - rf_p) - beta * (b_mean - rf_p)) * ppy,
        "correlation": _divide(cov, np.sqrt(m2 * var_b)),
    }
    ac = rc - bc
    a_std = np.sqrt(np.einsum("ij,ij->i", ac, ac) / (t - 1))
    out["tracking_error"] = a_std * np.sqrt(ppy)
    out["information_ratio"] = _divide(mean - b_mean, a_std) * np.sqrt(ppy)
    # Capture ratios: gather the up periods then the down periods once, and compound each run.
    up, down = np.flatnonzero(b > 0), np.flatnonzero(b < 0)
    gross = np.take(r, np.concatenate([up, down]), axis=1)
    gross += 1.0
    for name, cols, lo, hi in (("up_capture", up, 0, len(up)), ("down_capture", down, len(up), None)):
        k = len(cols)
        if k == 0:
            out[name] = np.full(r.shape[0], np.nan)
            continue
        port = np.power(np.prod(gross[:, lo:hi], axis=1), ppy / k) - 1.0
        bench = np.power(np.prod(1.0 + b[cols]), ppy / k) - 1.0
        out[name] = _divide(port, np.full(r.shape[0], bench))
    return out


def _benchmark_metrics(r, rz, isnan, dense, b, rf_p, ppy: float) -> dict[str, np.ndarray]:
    """The general case: gaps on either side (pairs only where both are observed), a benchmark per
    portfolio, or a risk-free rate per period."""
    b_nan = np.isnan(b)
    if dense and not b_nan.any():
        pair = None
        m = np.full(r.shape[0], float(r.shape[1]))
        bz = np.broadcast_to(b, r.shape)
    else:
        pair = ~(isnan | b_nan)
        m = pair.sum(axis=1).astype(float)
        bz = np.where(pair, b, 0.0)
    rp = rz if pair is None else np.where(pair, r, 0.0)
    rf_full = np.broadcast_to(np.asarray(rf_p, dtype=float), r.shape)
    rf_paired = rf_full if pair is None else np.where(pair, rf_full, 0.0)
    xr = rp - rf_paired
    xb = bz - rf_paired
    xr_mean = xr.sum(axis=1) / m
    xb_mean = xb.sum(axis=1) / m
    xrc = xr - xr_mean[:, None]
    xbc = xb - xb_mean[:, None]
    if pair is not None:
        xrc[~pair] = 0.0
        xbc[~pair] = 0.0
    cov = np.einsum("ij,ij->i", xrc, xbc)
    var_b = np.einsum("ij,ij->i", xbc, xbc)
    var_r = np.einsum("ij,ij->i", xrc, xrc)
    beta = _divide(cov, var_b)
    out = {
        "beta": beta,
        "alpha": (xr_mean - beta * xb_mean) * ppy,
        "correlation": _divide(cov, np.sqrt(var_r * var_b)),
    }
    # Active returns: r - b = (r - rf) - (b - rf), so their deviations are the excess deviations'.
    ac = xrc - xbc
    a_mean = (rp.sum(axis=1) - bz.sum(axis=1)) / m
    a_std = np.sqrt(np.einsum("ij,ij->i", ac, ac) / (m - 1))
    out["tracking_error"] = a_std * np.sqrt(ppy)
    out["information_ratio"] = _divide(a_mean, a_std) * np.sqrt(ppy)
    log_r, log_b = np.log1p(rp), np.log1p(bz)
    for name, side in (("up_capture", bz > 0), ("down_capture", bz < 0)):
        if pair is not None:
            side = side & pair
        k = side.sum(axis=1)
        years = k / ppy
        port = np.expm1(np.where(side, log_r, 0.0).sum(axis=1) / years)
        bench = np.expm1(np.where(side, log_b, 0.0).sum(axis=1) / years)
        out[name] = np.where(k > 0, _divide(port, bench), np.nan)
    return out
