"""Portfolio optimization kernels (numpy, pandas, scipy, scikit-learn and cvxpy; no Django).

estimators.py / covariance.py  expected returns and covariance from (T, N) returns, missing data by policy
problem.py                     Constraints as data; named cvxpy constraints from them
qp.py                          the same constraints as OSQP's matrices, for plain QPs
direct.py                      plain QPs straight to OSQP, warm starts (frontier, previous weights)
checks.py                      the KKT certificate a direct answer must pass
solvers.py                     the solver fallback chain, the MIP solvers and the cardinality heuristic
infeasibility.py               the conflicting constraints of an infeasible problem, the least relaxation
methods/                       every method; each returns OptimizationResult or Infeasible
result.py                      OptimizationResult and the portfolio statistics
"""

from . import checks, direct
from .estimators import CleanReturns, Estimates, MissingReport, clean_returns, estimate, returns_from_prices
from .infeasibility import Infeasible, Relaxation
from .methods import (
    Frontier,
    Posterior,
    black_litterman,
    efficient_frontier,
    efficient_return,
    efficient_risk,
    hrp,
    max_active_return,
    max_diversification,
    max_sharpe,
    max_utility,
    min_cvar,
    min_variance,
    posterior,
    risk_parity,
)
from .problem import Constraints
from .result import OptimizationResult
from .solvers import CONTINUOUS_CHAIN, SolverAttempt, SolverSpec

__all__ = [
    "checks",
    "direct",
    "CONTINUOUS_CHAIN",
    "CleanReturns",
    "Constraints",
    "Estimates",
    "Frontier",
    "Infeasible",
    "MissingReport",
    "OptimizationResult",
    "Posterior",
    "Relaxation",
    "SolverAttempt",
    "SolverSpec",
    "black_litterman",
    "clean_returns",
    "efficient_frontier",
    "efficient_return",
    "efficient_risk",
    "estimate",
    "hrp",
    "max_active_return",
    "max_diversification",
    "max_sharpe",
    "max_utility",
    "min_cvar",
    "min_variance",
    "posterior",
    "returns_from_prices",
    "risk_parity",
]
