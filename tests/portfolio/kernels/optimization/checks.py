"""The property check every optimization result in these tests goes through: each stated constraint,
evaluated on the weights with numpy, independently of the kernel's cvxpy builder and its own check."""

from __future__ import annotations

import numpy as np

from apps.portfolio.kernels.optimization import Constraints, Infeasible, OptimizationResult

TOL = 1e-6


def assert_holds(
    result, constraints: Constraints, tol: float = TOL, statuses: tuple[str, ...] = ("optimal",)
) -> np.ndarray:
    """Every constraint holds on `result.weights` (to `tol`) of a result solved to one of
    `statuses`; returns the weights."""
    assert isinstance(result, OptimizationResult), getattr(result, "message", result)
    assert result.status in statuses, result.status
    w = np.asarray(result.weights)
    n = w.size
    c = constraints
    assert np.isfinite(w).all()
    if c.long_only:
        assert w.min() >= -tol, "long only"
    if c.lower is not None:
        assert (w >= np.broadcast_to(c.lower, n) - tol).all(), "lower bounds"
    if c.upper is not None:
        assert (w <= np.broadcast_to(c.upper, n) + tol).all(), "upper bounds"
    if c.net_exposure is None:
        if c.budget is not None:
            assert abs(w.sum() - c.budget) <= tol, f"budget: {w.sum()}"
    else:
        lo, hi = c.net_exposure
        assert lo is None or w.sum() >= lo - tol, "net exposure floor"
        assert hi is None or w.sum() <= hi + tol, "net exposure cap"
    if c.gross_leverage is not None:
        assert np.abs(w).sum() <= c.gross_leverage + tol, "gross leverage"
    for labels, caps in ((c.sectors, c.sector_caps), (c.industries, c.industry_caps)):
        for group, (lo, hi) in caps.items():
            total = w[np.asarray(labels) == group].sum()
            assert lo is None or total >= lo - tol, f"{group} floor: {total}"
            assert hi is None or total <= hi + tol, f"{group} cap: {total}"
    if c.max_turnover is not None:
        w0 = np.zeros(n) if c.current_weights is None else np.asarray(c.current_weights)
        assert np.abs(w - w0).sum() <= c.max_turnover + tol, "turnover"
    held = np.abs(w) > tol
    if c.max_names is not None:
        assert held.sum() <= c.max_names, f"{held.sum()} names held"
    if c.min_position:
        assert (np.abs(w[held]) >= c.min_position - tol).all(), "min position"
    # the reported statistics are those of the weights
    assert np.isclose(result.risk_contributions.sum(), result.volatility, rtol=1e-9, atol=1e-12)
    return w


def assert_infeasible(result) -> Infeasible:
    assert isinstance(result, Infeasible), f"expected an Infeasible, got {type(result).__name__}"
    return result
