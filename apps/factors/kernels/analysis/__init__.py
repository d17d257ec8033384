"""Factor analysis kernels: alphalens's tear-sheet numbers, vectorized over (T, N) panels.

Panels are float64 (T, N): rows are dates ascending, columns instruments, NaN = no value. Forward
returns are (H, T, N), one slice per horizon. Every statistic matches alphalens-reloaded on the
sample alphalens keeps; use `clean_factor` to reproduce that sample (alphalens drops a (date,
asset) row from every horizon when one horizon is missing, and a whole date when its quantile
edges are not unique), or feed raw panels to get pairwise-complete results per horizon.
"""

from apps.factors.kernels.analysis.clean import CleanFactor, clean_factor
from apps.factors.kernels.analysis.forward_returns import complete_cases, forward_returns
from apps.factors.kernels.analysis.groups import (
    GroupQuantileReturns,
    group_labels,
    ic_by_group,
    quantile_returns_by_group,
)
from apps.factors.kernels.analysis.ic import ICSummary, ic_decay, ic_summary, information_coefficient
from apps.factors.kernels.analysis.multiple_testing import (
    DeflatedBest,
    benjamini_hochberg,
    deflated_best_mean,
    deflated_sharpe_ratio,
    expected_max_sharpe,
    probabilistic_sharpe_ratio,
)
from apps.factors.kernels.analysis.quantiles import (
    QuantileReturns,
    quantile_returns,
    quantize,
    rate_of_return,
    spread,
    std_conversion,
)
from apps.factors.kernels.analysis.turnover import quantile_turnover, rank_autocorrelation

__all__ = [
    "CleanFactor",
    "DeflatedBest",
    "GroupQuantileReturns",
    "ICSummary",
    "QuantileReturns",
    "benjamini_hochberg",
    "clean_factor",
    "complete_cases",
    "deflated_best_mean",
    "deflated_sharpe_ratio",
    "expected_max_sharpe",
    "forward_returns",
    "group_labels",
    "ic_by_group",
    "ic_decay",
    "ic_summary",
    "information_coefficient",
    "probabilistic_sharpe_ratio",
    "quantile_returns",
    "quantile_returns_by_group",
    "quantile_turnover",
    "quantize",
    "rank_autocorrelation",
    "rate_of_return",
    "spread",
    "std_conversion",
]
