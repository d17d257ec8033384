"""One factor's full analysis on one panel: alphalens's tear-sheet numbers in one call.

`factor_report` runs the analysis kernels of this package on alphalens's sample (`clean_factor`:
the cells with a finite factor, every horizon's forward return and a quantile bucket), so each
figure equals alphalens-reloaded's on the same factor and prices:
- IC (Pearson) and rank IC (Spearman) per date and horizon, and their `ic_summary`;
- IC decay: mean rank IC at every horizon 1..max(horizons) on the cells where all of them exist,
  and the half-life read from it (`half_life`);
- mean return per quantile (demeaned, converted to a per-bar rate as alphalens's returns tear
  sheet does) and the top-minus-bottom spread per date (alphalens's halved spread of rates);
- top and bottom quantile turnover and factor rank autocorrelation at a lag of each horizon;
- rank IC per group (sector) when groups are given (cells of unknown group, -1, are in no group).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .clean import clean_factor
from .forward_returns import complete_cases, forward_returns
from .groups import ic_by_group
from .ic import ICSummary, ic_summary, information_coefficient
from .quantiles import quantile_returns, rate_of_return, spread
from .turnover import quantile_turnover, rank_autocorrelation


@dataclass(frozen=True)
class FactorReport:
    """Arrays over the panel's dates (T) and the requested horizons (H), quantiles (Q), groups (G).

    horizons (H,); ic, rank_ic (H, T); ic_summary, rank_ic_summary (ICSummary of those);
    decay_horizons (D,) = 1..max(horizons); decay (D,) mean rank IC per horizon; half_life (float,
    NaN: see `half_life`); quantile_mean (H, Q) per-bar mean demeaned return of each quantile;
    spread_by_date (H, T) per-bar top-minus-bottom return; turnover_top / turnover_bottom (H, T);
    rank_autocorrelation (H, T); group_labels (G,); group_rank_ic (G, H, T); kept (T, N) the cells of
    alphalens's sample.
    """

    horizons: tuple[int, ...]
    ic: np.ndarray
    rank_ic: np.ndarray
    ic_summary: ICSummary
    rank_ic_summary: ICSummary
    decay_horizons: tuple[int, ...]
    decay: np.ndarray
    half_life: float
    quantile_mean: np.ndarray
    spread_by_date: np.ndarray
    turnover_top: np.ndarray
    turnover_bottom: np.ndarray
    rank_autocorrelation: np.ndarray
    group_labels: np.ndarray
    group_rank_ic: np.ndarray
    kept: np.ndarray


def half_life(horizons: Sequence[int], decay: np.ndarray) -> float:
    """The horizon at which the mean IC has fallen to half its first value, linearly interpolated
    between the two horizons around the crossing: with r_h = decay[h] / decay[first], the first h
    where r_h <= 0.5 (a sign flip counts as a crossing). NaN when the first value is NaN or 0, or
    the IC never halves within the horizons given (it decays slower than they can tell); a NaN
    horizon in between is skipped."""
    values = np.asarray(decay, dtype=float)
    if values.size == 0 or not np.isfinite(values[0]) or values[0] == 0:
        return float("nan")
    ratio = values / values[0]
    prev_h, prev_r = float(horizons[0]), 1.0
    for h, r in zip(horizons[1:], ratio[1:], strict=True):  # at most max(horizons) steps
        if not np.isfinite(r):
            continue
        if r <= 0.5:
            return prev_h + (prev_r - 0.5) / (prev_r - r) * (h - prev_h)
        prev_h, prev_r = float(h), float(r)
    return float("nan")


def factor_report(
    factor: np.ndarray,
    prices: np.ndarray,
    *,
    horizons: Sequence[int] = (1, 5, 10),
    quantiles: int = 5,
    groups: np.ndarray | None = None,
    forward: np.ndarray | None = None,
) -> FactorReport:
    """The analysis of factor (T, N) against forward returns of prices (T, N) (simple returns of
    the forward-filled prices, `forward_returns`; the last h rows have none). horizons ascending.
    groups: int (T, N) labels, -1 unknown, or None (no per-group IC). forward: the returns already
    computed, `forward_returns(prices, 1..D)` with D >= max(horizons) (many factors over one price
    panel share them); not changed here."""
    horizons = tuple(int(h) for h in horizons)
    if list(horizons) != sorted(set(horizons)) or horizons[0] < 1:
        raise ValueError(f"horizons must be distinct, ascending and >= 1, got {horizons}")
    longest = horizons[-1]
    decay_horizons = tuple(range(1, longest + 1))
    if forward is None:
        all_fwd = forward_returns(prices, decay_horizons)  # (D, T, N): one pass serves both uses
    elif forward.shape[0] < longest or forward.shape[1:] != np.shape(factor):
        raise ValueError(
            f"forward returns {forward.shape} do not cover horizons 1..{longest} of {np.shape(factor)}"
        )
    else:
        all_fwd = forward[:longest]
    fwd = all_fwd[[h - 1 for h in horizons]]
    clean = clean_factor(factor, fwd, quantiles=quantiles)
    ic = information_coefficient(clean.factor, fwd, method="pearson")
    rank_ic = information_coefficient(clean.factor, fwd, method="rank")

    # Decay on the same cells, further restricted to those with every horizon 1..max (ic_decay's
    # common sample), so the horizons are compared on the same dates.
    common = np.where(complete_cases(clean.factor, all_fwd), clean.factor, np.nan)
    decay = ic_summary(information_coefficient(common, all_fwd, method="rank")).mean

    returns = quantile_returns(fwd, clean.buckets, n_quantiles=quantiles, demeaned=True)
    by_date = rate_of_return(returns.mean_by_date, horizons)  # (H, Q, T), per bar
    spread_by_date, _ = spread(by_date)

    turnover = [quantile_turnover(clean.buckets, h, quantiles) for h in horizons]  # (Q, T) per lag
    top, bottom = np.stack([t[-1] for t in turnover]), np.stack([t[0] for t in turnover])
    autocorrelation = np.stack([rank_autocorrelation(clean.factor, h) for h in horizons])

    if groups is not None:
        labels, group_ic = ic_by_group(clean.factor, fwd, groups, method="rank")
    else:
        labels, group_ic = np.zeros(0, dtype=np.int64), np.zeros((0, len(horizons), factor.shape[0]))
    return FactorReport(
        horizons=horizons,
        ic=ic,
        rank_ic=rank_ic,
        ic_summary=ic_summary(ic),
        rank_ic_summary=ic_summary(rank_ic),
        decay_horizons=decay_horizons,
        decay=decay,
        half_life=half_life(decay_horizons, decay),
        quantile_mean=rate_of_return(returns.mean, horizons),
        spread_by_date=spread_by_date,
        turnover_top=top,
        turnover_bottom=bottom,
        rank_autocorrelation=autocorrelation,
        group_labels=labels,
        group_rank_ic=group_ic,
        kept=clean.keep,
    )
