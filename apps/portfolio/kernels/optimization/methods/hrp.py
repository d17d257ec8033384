"""Hierarchical risk parity (Lopez de Prado 2016), as PyPortfolioOpt's HRPOpt computes it.

1. Correlation distance d_ij = sqrt((1 - rho_ij) / 2), clustered by scipy's linkage (single by
   default) on the condensed distances.
2. Quasi-diagonalization: assets ordered as the dendrogram's leaves, left to right.
3. Recursive bisection: the ordered list is split in halves (the first len // 2 names, then the
   rest), each half weighted by alpha = 1 - V_1 / (V_1 + V_2), V the variance of the half's
   inverse-variance portfolio, and so on down to single names.

The bisection runs level by level, every split of a level at once: the variance of a contiguous
block's inverse-variance portfolio is a block sum of v v' * Sigma (v = 1 / diag Sigma) over (sum v)^2,
read from 2-D prefix sums. Weights are long-only and sum to 1; no solver is involved, so HRP takes no
constraints beyond that default.
"""

from __future__ import annotations

import numpy as np
from scipy.cluster.hierarchy import leaves_list, linkage
from scipy.spatial.distance import squareform

from ..problem import Constraints
from ..result import OptimizationResult, make_result

DEFAULT = Constraints()


def _is_default(c: Constraints) -> bool:
    return (
        c.long_only
        and c.lower is None
        and c.upper is None
        and c.budget == 1
        and c.net_exposure is None
        and c.gross_leverage is None
        and not c.sector_caps
        and not c.industry_caps
        and c.max_turnover is None
        and c.transaction_costs is None
        and not c.needs_integer
    )


def hrp_order(cov: np.ndarray, method: str = "single") -> np.ndarray:
    """The quasi-diagonal order of the assets (dendrogram leaves of the correlation distance)."""
    sd = np.sqrt(np.diag(cov))
    corr = cov / np.outer(sd, sd)
    dist = np.sqrt(np.clip((1.0 - corr) / 2.0, 0.0, 1.0))
    return leaves_list(linkage(squareform(dist, checks=False), method))


def hrp_weights(cov: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Recursive-bisection weights (N,) for the assets in `order` (module docstring)."""
    c = cov[np.ix_(order, order)]
    n = c.shape[0]
    v = 1.0 / np.diag(c)
    block = np.zeros((n + 1, n + 1))
    block[1:, 1:] = (v[:, None] * v[None, :] * c).cumsum(axis=0).cumsum(axis=1)
    vsum = np.concatenate([[0.0], v.cumsum()])

    def ivp_variance(a, b):
        s = block[b, b] - block[a, b] - block[b, a] + block[a, a]
        return s / (vsum[b] - vsum[a]) ** 2

    w = np.ones(n)
    starts, ends = np.array([0]), np.array([n])
    while starts.size:
        split = ends - starts > 1
        a, b = starts[split], ends[split]
        if not a.size:
            break
        mid = a + (b - a) // 2
        v_left, v_right = ivp_variance(a, mid), ivp_variance(mid, b)
        alpha = 1.0 - v_left / (v_left + v_right)
        # every position of every split block gets its half's factor; the blocks are disjoint
        lengths = np.column_stack([mid - a, b - mid]).ravel()
        factors = np.repeat(np.column_stack([alpha, 1.0 - alpha]).ravel(), lengths)
        first = np.repeat(a, b - a)
        offsets = np.arange((b - a).sum()) - np.repeat(np.cumsum(b - a) - (b - a), b - a)
        w[first + offsets] *= factors
        starts, ends = np.column_stack([a, mid]).ravel(), np.column_stack([mid, b]).ravel()
    out = np.empty(n)
    out[order] = w
    return out


def hrp(
    cov: np.ndarray,
    constraints: Constraints = DEFAULT,
    *,
    linkage_method: str = "single",
    mu: np.ndarray | None = None,
    risk_free_rate: float = 0.0,
) -> OptimizationResult:
    """The HRP portfolio of `cov` (long-only, fully invested; `mu` only for the reported return)."""
    if not _is_default(constraints):
        raise ValueError("HRP is a closed form: it takes no constraints beyond long-only and fully invested")
    cov = np.asarray(cov, dtype=float)
    weights = hrp_weights(cov, hrp_order(cov, linkage_method))
    notes = (f"hierarchical risk parity, {linkage_method} linkage",)
    return make_result("hrp", weights, cov, mu=mu, risk_free_rate=risk_free_rate, notes=notes)
