"""Ranking factors by their latest stored analysis, with the multiple-testing view a ranking needs.

Rows are ranked by the magnitude of the chosen statistic (a factor that predicts reliably with a
negative sign is as useful as its mirror image, reversed); the signed value is shown. "decay" ranks
by the IC half-life, longest first (a slowly decaying factor trades less), factors without one last.
Each row says which analysis, universe and window its numbers are from: rankings of analyses over
different windows are comparable only as far as those windows are.

Over the factors ranked (after the library and min_dates filters, before the limit):
- p_value_adjusted: Benjamini-Hochberg over their p-values (first horizon's rank IC t-test);
- deflated: the deflated significance of the best rank-ICIR among them (Bailey & López de Prado,
  `multiple_testing.deflated_best_mean` on their first-horizon rank IC series, each signed by its
  mean so the magnitude ranking is tested): the probability that the best is better than the best
  of as many useless factors would look by luck. `lucky` flags a best whose p-value exceeds 0.05.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from apps.platform.numbers import finite_or_none

from ..kernels.analysis import benjamini_hochberg, deflated_best_mean
from ..models import FactorAnalysis
from .analyses import analyses_latest

RANK_BY = {
    "icir": "icir",
    "ic": "ic_mean",
    "rank_ic": "rank_ic_mean",
    "spread": "spread",
    "t_stat": "t_stat",
    "decay": "decay_half_life",
}
LUCK_LEVEL = 0.05


@dataclass(frozen=True)
class RankedFactor:
    rank: int
    analysis: FactorAnalysis
    value: float | None
    n_dates: int
    p_value_adjusted: float | None


@dataclass(frozen=True)
class Ranking:
    by: str
    ranked: int  # factors in the family (before the limit)
    rows: tuple[RankedFactor, ...]
    deflated: dict | None  # None with fewer than two factors with an IC series


def _n_dates(analysis: FactorAnalysis) -> int:
    counts = (analysis.results or {}).get("rank_ic", {}).get("n_dates") or [0]
    return int(counts[0] or 0)


def _sort_key(by: str, value: float | None) -> tuple[int, float]:
    if value is None:
        return (1, 0.0)
    return (0, -value if by == "decay" else -abs(value))


def _rank_ic_series(analysis: FactorAnalysis) -> np.ndarray:
    series = ((analysis.results or {}).get("series") or {}).get("rank_ic") or [[]]
    return np.array([np.nan if v is None else v for v in series[0]], dtype=float)


def _deflated(rows: list[FactorAnalysis]) -> dict | None:
    series = [_rank_ic_series(a) for a in rows]
    usable = [k for k, s in enumerate(series) if np.isfinite(s).sum() >= 3 and np.nanstd(s) > 0]
    if len(usable) < 2:
        return None
    width = max(series[k].size for k in usable)
    panel = np.full((len(usable), width), np.nan)
    for j, k in enumerate(usable):
        s = series[k]
        panel[j, : s.size] = s * (np.sign(np.nanmean(s)) or 1.0)  # magnitude: the mirror image counts
    best = deflated_best_mean(panel)
    winner = rows[usable[best.best]]
    return {
        "factor": winner.definition.label,
        "analysis_id": winner.pk,
        "rank_icir": finite_or_none(best.ratio),
        "expected_max_rank_icir": finite_or_none(best.benchmark),
        "probability": finite_or_none(best.deflated),
        "p_value": finite_or_none(best.p_value),
        "trials": len(usable),
        "lucky": bool(not best.p_value <= LUCK_LEVEL),
    }


def factor_ranking(*, by: str, library: str | None = None, min_dates: int = 0, limit: int = 50) -> Ranking:
    """The latest analysis of each factor ranked by `by` (a key of RANK_BY; ValueError otherwise)."""
    if by not in RANK_BY:
        raise ValueError(f"rank by one of {', '.join(RANK_BY)}")
    rows = [a for a in analyses_latest(library=library) if _n_dates(a) >= min_dates]
    column = RANK_BY[by]
    rows.sort(key=lambda a: (*_sort_key(by, getattr(a, column)), a.definition.name))
    p = np.array([np.nan if a.p_value is None else a.p_value for a in rows])
    adjusted = benjamini_hochberg(p)
    ranked = tuple(
        RankedFactor(
            rank=k + 1,
            analysis=a,
            value=getattr(a, column),
            n_dates=_n_dates(a),
            p_value_adjusted=finite_or_none(adjusted[k]),
        )
        for k, a in enumerate(rows[:limit])
    )
    return Ranking(by=by, ranked=len(rows), rows=ranked, deflated=_deflated(rows))
