"""Significance after trying many factors: Benjamini-Hochberg and the deflated Sharpe ratio.

Deflated Sharpe ratio: Bailey & López de Prado (2014), "The Deflated Sharpe Ratio: Correcting for
Selection Bias, Backtest Overfitting and Non-Normality", J. Portfolio Management 40(5).
Sharpe ratios here are per period (not annualized), matching the number of observations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

EULER_GAMMA = float(np.euler_gamma)


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (false discovery rate), same shape as the input.

    NaN p-values are left out of the family (m counts the present ones) and stay NaN. scipy's
    `false_discovery_control(method="bh")` does the arithmetic.
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    present = ~np.isnan(p)
    if present.any():
        out[present] = stats.false_discovery_control(p[present], method="bh")
    return out


def expected_max_sharpe(n_trials: int, sharpe_variance: float, mean_sharpe: float = 0.0) -> float:
    """Expected maximum of n_trials independent Sharpe ratios with the given variance (B&LdP eq. for
    SR0): mean + sqrt(V) * ((1 - g) * Z^-1(1 - 1/N) + g * Z^-1(1 - 1/(N e))), g = Euler's gamma.
    The paper's null takes mean_sharpe = 0. NaN for fewer than 2 trials."""
    if n_trials < 2:
        return float("nan")
    z1 = stats.norm.ppf(1.0 - 1.0 / n_trials)
    z2 = stats.norm.ppf(1.0 - 1.0 / (n_trials * np.e))
    return float(mean_sharpe + np.sqrt(sharpe_variance) * ((1 - EULER_GAMMA) * z1 + EULER_GAMMA * z2))


def probabilistic_sharpe_ratio(
    sharpe: float, benchmark: float, *, n_obs: int, skew: float, kurtosis: float
) -> float:
    """Probability that the true Sharpe exceeds `benchmark`, given an estimate from n_obs returns
    with that skewness and (raw, normal = 3) kurtosis:
    Z((SR - SR*) sqrt(T - 1) / sqrt(1 - skew SR + (kurtosis - 1) / 4 SR^2))."""
    denom = np.sqrt(1.0 - skew * sharpe + (kurtosis - 1.0) / 4.0 * sharpe**2)
    return float(stats.norm.cdf((sharpe - benchmark) * np.sqrt(n_obs - 1) / denom))


def deflated_sharpe_ratio(
    sharpe: float,
    *,
    n_obs: int,
    skew: float,
    kurtosis: float,
    n_trials: int,
    sharpe_variance: float,
) -> float:
    """PSR of the selected strategy against the expected maximum Sharpe of n_trials trials."""
    benchmark = expected_max_sharpe(n_trials, sharpe_variance)
    return probabilistic_sharpe_ratio(sharpe, benchmark, n_obs=n_obs, skew=skew, kurtosis=kurtosis)


@dataclass(frozen=True)
class DeflatedBest:
    """The best of K candidates after deflation.

    best: index of the candidate with the highest per-period information ratio (mean / std);
    ratio: that ratio; benchmark: the expected maximum ratio of K trials (SR0); deflated: the
    deflated Sharpe ratio (probability the true ratio exceeds zero after selection);
    p_value: 1 - deflated.
    """

    best: int
    ratio: float
    benchmark: float
    deflated: float
    p_value: float


def deflated_best_mean(series: np.ndarray) -> DeflatedBest:
    """Deflated significance of the best of K series' means, series (K, T) with NaN skipped.

    Built for IC series (K factors' daily ICs): each series' "Sharpe" is mean / std (ddof=1) — the
    per-period ICIR — the trials' variance is that of the K ratios (ddof=1), and the best series'
    skewness and raw kurtosis (biased sample moments) and count of present dates enter the PSR.
    Works the same for K strategies' return series.
    """
    series = np.atleast_2d(np.asarray(series, dtype=float))
    mean = np.nanmean(series, axis=1)
    std = np.nanstd(series, axis=1, ddof=1)
    ratios = mean / std
    best = int(np.nanargmax(ratios))
    values = series[best][~np.isnan(series[best])]
    benchmark = expected_max_sharpe(series.shape[0], float(np.nanvar(ratios, ddof=1)))
    deflated = probabilistic_sharpe_ratio(
        float(ratios[best]),
        benchmark,
        n_obs=values.size,
        skew=float(stats.skew(values)),
        kurtosis=float(stats.kurtosis(values, fisher=False)),
    )
    return DeflatedBest(best, float(ratios[best]), benchmark, deflated, 1.0 - deflated)
