"""alphalens's `get_clean_factor` on panels: the sample every alphalens statistic is computed on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from apps.factors.kernels.analysis.forward_returns import complete_cases
from apps.factors.kernels.analysis.quantiles import quantize


@dataclass(frozen=True)
class CleanFactor:
    """factor: (T, N) with NaN outside the kept cells; buckets: int64 (T, N), 0 outside them;
    keep: bool (T, N), the (date, asset) rows of alphalens's `factor_data`."""

    factor: np.ndarray
    buckets: np.ndarray
    keep: np.ndarray


def clean_factor(
    factor: np.ndarray,
    fwd: np.ndarray,
    *,
    quantiles: int | Sequence[float] | None = 5,
    bins: int | Sequence[float] | None = None,
    groups: np.ndarray | None = None,
    binning_by_group: bool = False,
) -> CleanFactor:
    """Reproduce alphalens's cleaning (with max_loss > 0, so binning failures drop silently).

    1. keep the cells where the factor is finite, all horizons' forward returns are present and
       the group (if given) is known (`complete_cases`);
    2. bucket the kept cells per date (or per date and group) with `quantize`;
    3. drop the cells that got no bucket: a date whose quantile edges are not unique disappears
       whole — from the IC and the turnover too, not just from the quantile statistics.
    alphalens's max_loss refusal is left to the caller: its loss is 1 - kept rows / rows of its input
    factor series (rows with a NaN factor count as lost when the caller passes them).
    """
    keep = complete_cases(factor, fwd, groups)
    masked = np.where(keep, factor, np.nan)
    buckets = quantize(masked, quantiles=quantiles, bins=bins, groups=groups if binning_by_group else None)
    keep &= buckets > 0
    return CleanFactor(np.where(keep, factor, np.nan), np.where(keep, buckets, 0), keep)
