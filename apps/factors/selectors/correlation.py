"""How alike factors are, over one universe and window (read-side computation, nothing stored):

- rank_correlation: the mean over dates of the cross-sectional Spearman correlation of two factors'
  values (kernels/correlation.py; for one factor against others each pair is ranked over its own
  common names, the matrix ranks each factor once per date — see
  `mean_cross_sectional_correlation_matrix`);
- ic_correlation: the correlation over dates of their daily rank IC (1-bar forward returns);
- spread_correlation: ... of their daily top-minus-bottom quintile returns (per bar).
The IC and spread series are computed on alphalens's sample (kernels/analysis/report.py), as the
stored analyses are; a time-series correlation needs MIN_DATES dates where both series exist.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from apps.platform.numbers import json_safe

from ..kernels.analysis.report import factor_report
from ..kernels.correlation import (
    correlation_matrix,
    correlation_with,
    mean_cross_sectional_correlation,
    mean_cross_sectional_correlation_matrix,
)
from ..models import FactorDefinition
from .analysis_panels import AnalysisPanel, analysis_panel

MIN_DATES = 10
QUANTILES = 5


def _daily_series(panel: AnalysisPanel) -> tuple[np.ndarray, np.ndarray]:
    """(K, T) rank IC and (K, T) top-minus-bottom series at a 1-bar horizon."""
    forward = panel.forward(1)
    reports = [
        factor_report(f, panel.close, horizons=(1,), quantiles=QUANTILES, forward=forward)
        for f in panel.factors
    ]
    return np.stack([r.rank_ic[0] for r in reports]), np.stack([r.spread_by_date[0] for r in reports])


def _window(panel: AnalysisPanel) -> dict:
    return {
        "symbols": list(panel.symbols),
        "dates": len(panel.dates),
        "first_date": panel.dates[0].isoformat().replace("+00:00", "Z"),
        "last_date": panel.dates[-1].isoformat().replace("+00:00", "Z"),
    }


def factor_correlation(
    definition: FactorDefinition,
    against: Sequence[FactorDefinition],
    *,
    symbols: Sequence[str],
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> dict:
    """`definition` against each of `against` (itself left out): one row per other factor."""
    others = [d for d in dict.fromkeys(against) if d.pk != definition.pk]
    panel = analysis_panel([definition, *others], symbols=symbols, start=start, end=end)
    ic, spread = _daily_series(panel)
    ic_corr = correlation_with(ic[0], ic[1:], min_periods=MIN_DATES)
    spread_corr = correlation_with(spread[0], spread[1:], min_periods=MIN_DATES)
    rows = [
        {
            "factor": {"id": d.pk, "label": d.label},
            "rank_correlation": mean_cross_sectional_correlation(panel.factors[0], panel.factors[k + 1]),
            "ic_correlation": float(ic_corr[k]),
            "spread_correlation": float(spread_corr[k]),
        }
        for k, d in enumerate(others)
    ]
    return json_safe(
        {"factor": {"id": definition.pk, "label": definition.label}, **_window(panel), "against": rows}
    )


def factors_correlation_matrix(
    definitions: Sequence[FactorDefinition], *, symbols: Sequence[str], start: pd.Timestamp, end: pd.Timestamp
) -> dict:
    """(K, K) matrices of the three measures, rows and columns in the order of `factors`."""
    panel = analysis_panel(list(dict.fromkeys(definitions)), symbols=symbols, start=start, end=end)
    ic, spread = _daily_series(panel)
    return json_safe(
        {
            "factors": [{"id": d.pk, "label": d.label} for d in panel.definitions],
            **_window(panel),
            "rank_correlation": mean_cross_sectional_correlation_matrix(panel.factors, "rank").tolist(),
            "ic_correlation": correlation_matrix(ic, min_periods=MIN_DATES).tolist(),
            "spread_correlation": correlation_matrix(spread, min_periods=MIN_DATES).tolist(),
        }
    )
