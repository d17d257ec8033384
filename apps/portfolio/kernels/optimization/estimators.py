"""Inputs of an optimization: the missing-data policy, expected returns, and `estimate`, which applies
a policy and one expected-return and one covariance estimator and says what it did.

Units. `returns` is (T, N) float64 of simple per-period returns (r_t = p_t / p_{t-1} - 1), rows dates
ascending, columns assets, NaN = no return that period. Every estimate is annualized with
`frequency`, the number of periods in a year (252 daily, 52 weekly, 12 monthly; 1 leaves it per
period): arithmetic means and covariances are multiplied by it, compounded means are
(prod(1 + r)) ** (frequency / count) - 1. A risk-free rate is in the same (annual) units as the output.

Missing data is never handled silently. `clean_returns` applies one stated policy and reports it:
- "drop_dates": keep only the dates where every asset has a return (listwise deletion);
- "drop_assets": keep only the assets with a return on every date;
- "pairwise": keep everything; each statistic uses the observations available to it (a mean its
  asset's returns, a covariance the dates both assets have), so a pairwise covariance can be
  indefinite and is then repaired (see covariance.py);
- "fill_zero": a missing return counts as 0 (no price move).
Under every policy a date on which no asset has a return is dropped (the first row of returns
computed from prices), and an asset left with fewer than `min_observations` returns is an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from . import covariance as cov_estimators

MissingPolicy = Literal["drop_dates", "drop_assets", "pairwise", "fill_zero"]
MISSING_POLICIES = ("drop_dates", "drop_assets", "pairwise", "fill_zero")
ReturnEstimator = Literal["mean", "ewma", "capm"]
RETURN_ESTIMATORS = ("mean", "ewma", "capm")


@dataclass(frozen=True)
class MissingReport:
    policy: str
    missing_cells: int  # NaN cells in the input (after dropping all-empty dates)
    dropped_dates: np.ndarray  # row positions (into the input) removed, empty dates included
    dropped_assets: np.ndarray  # column positions removed ("drop_assets")
    filled_cells: int  # NaN cells set to 0 ("fill_zero")
    observations: np.ndarray  # (N kept,) returns each kept asset has after the policy

    def describe(self) -> str:
        parts = [f"missing data policy {self.policy}: {self.missing_cells} missing returns"]
        if self.dropped_dates.size:
            parts.append(f"{self.dropped_dates.size} dates dropped")
        if self.dropped_assets.size:
            parts.append(f"{self.dropped_assets.size} assets dropped")
        if self.filled_cells:
            parts.append(f"{self.filled_cells} returns set to 0")
        if self.policy == "pairwise" and self.observations.size:
            parts.append(
                f"{int(self.observations.min())} to {int(self.observations.max())} returns per asset"
            )
        return "; ".join(parts)


@dataclass(frozen=True)
class CleanReturns:
    returns: np.ndarray  # (T', N'); NaN remains only under "pairwise"
    dates: np.ndarray  # kept row positions into the input
    assets: np.ndarray  # kept column positions into the input
    report: MissingReport


@dataclass(frozen=True)
class Estimates:
    mu: np.ndarray  # (N',) annualized expected returns of the kept assets
    cov: np.ndarray  # (N', N') annualized covariance, positive semidefinite
    assets: np.ndarray  # kept column positions into the input
    dates: np.ndarray  # kept row positions into the input
    report: MissingReport
    notes: tuple[str, ...]


def returns_from_prices(prices: np.ndarray) -> np.ndarray:
    """Simple returns (T - 1, N) from prices (T, N); NaN where either price is missing (no filling)."""
    p = np.asarray(prices, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return p[1:] / p[:-1] - 1.0


def clean_returns(
    returns: np.ndarray, *, policy: MissingPolicy = "drop_dates", min_observations: int = 2
) -> CleanReturns:
    """Apply a missing-data policy (module docstring) and report what it removed or filled."""
    if policy not in MISSING_POLICIES:
        raise ValueError(f"unknown missing-data policy {policy!r}; one of {MISSING_POLICIES}")
    r = np.asarray(returns, dtype=float)
    if r.ndim != 2:
        raise ValueError("returns must be (T, N)")
    if np.isinf(r).any():
        raise ValueError("returns contain infinite values")
    valid = np.isfinite(r)
    keep_rows = valid.any(axis=1)
    keep_cols = np.ones(r.shape[1], dtype=bool)
    missing = int((~valid[keep_rows]).sum())
    filled = 0
    if policy == "drop_dates":
        keep_rows &= valid.all(axis=1)
    elif policy == "drop_assets":
        keep_cols = valid[keep_rows].all(axis=0)
    out = r[np.ix_(keep_rows, keep_cols)]
    if policy == "fill_zero":
        filled = int(np.isnan(out).sum())
        out = np.nan_to_num(out, nan=0.0)
    observations = np.isfinite(out).sum(axis=0)
    short = np.flatnonzero(keep_cols)[observations < min_observations]
    if short.size:
        raise ValueError(
            f"assets at columns {short.tolist()} have fewer than {min_observations} returns under "
            f"policy {policy!r}"
        )
    report = MissingReport(
        policy=policy,
        missing_cells=missing,
        dropped_dates=np.flatnonzero(~keep_rows),
        dropped_assets=np.flatnonzero(~keep_cols),
        filled_cells=filled,
        observations=observations,
    )
    return CleanReturns(out, np.flatnonzero(keep_rows), np.flatnonzero(keep_cols), report)


def mean_return(returns: np.ndarray, *, frequency: float = 252, compounding: bool = False) -> np.ndarray:
    """Historical mean per asset over its available returns: arithmetic mean * frequency, or with
    `compounding` the annualized geometric mean (PyPortfolioOpt's mean_historical_return)."""
    r = np.asarray(returns, dtype=float)
    if not compounding:
        return np.nanmean(r, axis=0) * frequency
    count = np.isfinite(r).sum(axis=0)
    # a sum of logs rather than a product: no overflow over long histories
    return np.expm1(np.nansum(np.log1p(r), axis=0) * frequency / count)


def ewma_return(
    returns: np.ndarray, *, span: float, frequency: float = 252, compounding: bool = False
) -> np.ndarray:
    """Exponentially weighted mean return, the latest date weighted most: pandas' ewm(span).mean()
    (adjusted weights (1 - a)^k, a = 2 / (span + 1), missing returns skipped) at the last date,
    annualized as `mean_return` does for one period (PyPortfolioOpt's ema_historical_return)."""
    last = pd.DataFrame(np.asarray(returns, dtype=float)).ewm(span=span).mean().iloc[-1].to_numpy()
    return (1.0 + last) ** frequency - 1.0 if compounding else last * frequency


def capm_return(
    returns: np.ndarray,
    market: np.ndarray | None = None,
    *,
    risk_free_rate: float = 0.0,
    frequency: float = 252,
    compounding: bool = False,
) -> np.ndarray:
    """CAPM expected returns rf + beta_i (E[R_m] - rf), beta_i = cov(r_i, r_m) / var(r_m).

    `market` is (T,) market returns on the same dates (the equal-weighted mean of the assets when
    None, as PyPortfolioOpt does). Covariances use the dates both series have, var(r_m) and E[R_m]
    all the market's returns (E[R_m] annualized as `mean_return`; rf in annual units)."""
    r = np.asarray(returns, dtype=float)
    m = np.nanmean(r, axis=1) if market is None else np.asarray(market, dtype=float)
    both = np.isfinite(r) & np.isfinite(m)[:, None]
    n = both.sum(axis=0)
    r0 = np.where(both, r, 0.0)
    m0 = np.where(both, m[:, None], 0.0)
    mean_r, mean_m = r0.sum(axis=0) / n, m0.sum(axis=0) / n
    cov_rm = np.where(both, (r0 - mean_r) * (m0 - mean_m), 0.0).sum(axis=0) / (n - 1)
    beta = cov_rm / np.nanvar(m, ddof=1)
    market_mean = mean_return(m[:, None], frequency=frequency, compounding=compounding)[0]
    return risk_free_rate + beta * (market_mean - risk_free_rate)


def estimate(
    returns: np.ndarray,
    *,
    expected: ReturnEstimator = "mean",
    covariance: cov_estimators.CovarianceEstimator = "ledoit_wolf",
    policy: MissingPolicy = "drop_dates",
    frequency: float = 252,
    compounding: bool = False,
    span: float = 60,
    cov_span: float | None = None,
    market: np.ndarray | None = None,
    risk_free_rate: float = 0.0,
    factor_returns: np.ndarray | None = None,
    exposures: np.ndarray | None = None,
    n_factors: int | None = None,
    min_observations: int = 2,
) -> Estimates:
    """Expected returns and covariance of the assets that survive the missing-data `policy`.

    `market` (T,) and `factor_returns` (T, K) share the rows of `returns` and are cut to the same
    dates; `exposures` (N, K) are the full universe's and are cut to the kept assets. `span` is the
    EWMA span of the mean, `cov_span` of the covariance (defaults to `span`)."""
    if expected not in RETURN_ESTIMATORS:
        raise ValueError(f"unknown expected-return estimator {expected!r}; one of {RETURN_ESTIMATORS}")
    clean = clean_returns(returns, policy=policy, min_observations=min_observations)
    r, rows, cols = clean.returns, clean.dates, clean.assets
    if expected == "mean":
        mu = mean_return(r, frequency=frequency, compounding=compounding)
    elif expected == "ewma":
        mu = ewma_return(r, span=span, frequency=frequency, compounding=compounding)
    else:
        mkt = None if market is None else np.asarray(market, dtype=float)[rows]
        mu = capm_return(r, mkt, risk_free_rate=risk_free_rate, frequency=frequency, compounding=compounding)
    cov, notes = cov_estimators.covariance_matrix(
        r,
        covariance,
        frequency=frequency,
        span=span if cov_span is None else cov_span,
        factor_returns=None if factor_returns is None else np.asarray(factor_returns, dtype=float)[rows],
        exposures=None if exposures is None else np.asarray(exposures, dtype=float)[cols],
        n_factors=n_factors,
    )
    notes = (clean.report.describe(), f"expected returns: {expected}", *notes)
    return Estimates(mu, cov, cols, rows, clean.report, notes)
