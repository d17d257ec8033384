"""Expected returns from a factor by Grinold's rule: alpha = IC x volatility x score.

Grinold (1994), "Alpha is volatility times IC times score": a forecast whose cross-sectional
z-score is z_i, with information coefficient IC (the correlation between the forecast and the
returns that follow it), is worth an expected (residual) return alpha_i = IC * sigma_i * z_i.

Here:
- z_i is the cross-sectional z-score of the factor on the last date of the window, with the sample
  standard deviation (ddof=1, as the factors engine's cs_zscore). An asset without a value that
  day scores 0 (no opinion, alpha 0); the caller reports which.
- sigma_i is the asset's volatility from the covariance estimate (annualized, so alpha is annual).
  Grinold's sigma is the residual volatility; total volatility is the common stand-in when no risk
  model splits the two, and it is what the covariance estimator gives.
- IC is given, or estimated over the window as the mean daily cross-sectional rank (Spearman) IC
  of the factor on date t against the returns from t to t + 1. An IC measured at the one-day
  horizon is applied to annual volatility: the usual practice, which assumes the IC holds at the
  horizon of the volatility; give `ic` to use another.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class GrinoldAlpha:
    alpha: np.ndarray  # (N,) expected returns, the units of `vol`
    scores: np.ndarray  # (N,) z-scores on the last date, 0 where the factor has no value
    vol: np.ndarray  # (N,)
    ic: float
    ic_dates: int  # dates the IC was estimated over (0 when given)
    unscored: np.ndarray  # positions of the assets without a factor value on the last date


def zscores(values: np.ndarray) -> np.ndarray:
    """Cross-sectional z-score (sample std) of one date's values; NaN stays NaN."""
    x = np.asarray(values, dtype=float)
    finite = np.isfinite(x)
    if finite.sum() < 2:
        raise ValueError("fewer than two assets have a factor value on the last date")
    std = x[finite].std(ddof=1)
    if not std > 0:
        raise ValueError("the factor has the same value for every asset on the last date")
    return (x - x[finite].mean()) / std


def rank_ic(factor: np.ndarray, returns: np.ndarray) -> tuple[float, int]:
    """Mean cross-sectional Spearman correlation of factor row t with returns row t + 1, over the
    dates where at least three assets have both (fewer make a rank correlation meaningless).
    `factor` and `returns` are (T, N) on the same dates; returns row t is the return ending at t."""
    f = pd.DataFrame(np.asarray(factor, dtype=float)[:-1])
    r = pd.DataFrame(np.asarray(returns, dtype=float)[1:])
    both = f.notna() & r.notna()
    f, r = f.where(both), r.where(both)
    usable = both.sum(axis=1) >= 3
    # Spearman = Pearson on the ranks (average ranks for ties)
    ic = f[usable].rank(axis=1).corrwith(r[usable].rank(axis=1), axis=1)
    ic = ic[np.isfinite(ic)]
    if ic.empty:
        raise ValueError("no date has a factor value and a next-day return for three assets")
    return float(ic.mean()), int(ic.size)


def grinold_alpha(
    factor: np.ndarray, returns: np.ndarray, vol: np.ndarray, *, ic: float | None = None
) -> GrinoldAlpha:
    """alpha = IC * vol * z (module docstring). `factor` and `returns` (T, N) share dates and assets;
    the scores are the factor's last row."""
    factor = np.asarray(factor, dtype=float)
    z = zscores(factor[-1])
    ic_dates = 0
    if ic is None:
        ic, ic_dates = rank_ic(factor, returns)
    unscored = np.flatnonzero(~np.isfinite(z))
    z = np.where(np.isfinite(z), z, 0.0)
    vol = np.asarray(vol, dtype=float)
    return GrinoldAlpha(ic * vol * z, z, vol, float(ic), ic_dates, unscored)
