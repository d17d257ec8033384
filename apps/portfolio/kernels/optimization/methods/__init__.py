"""Optimization methods, one module per family; each takes a Constraints and returns a frozen
OptimizationResult (or Infeasible naming the conflict). See pipeline.py for the common path."""

from .active import max_active_return
from .black_litterman import (
    Posterior,
    black_litterman,
    implied_risk_aversion,
    market_implied_returns,
    posterior,
    view_uncertainty,
)
from .cvar import min_cvar
from .diversification import diversification_ratio, max_diversification
from .hrp import hrp
from .mean_variance import (
    Frontier,
    efficient_frontier,
    efficient_return,
    efficient_risk,
    max_sharpe,
    max_utility,
    min_variance,
)
from .risk_parity import risk_parity

__all__ = [
    "Frontier",
    "Posterior",
    "black_litterman",
    "diversification_ratio",
    "efficient_frontier",
    "efficient_return",
    "efficient_risk",
    "hrp",
    "implied_risk_aversion",
    "market_implied_returns",
    "max_active_return",
    "max_diversification",
    "max_sharpe",
    "max_utility",
    "min_cvar",
    "min_variance",
    "posterior",
    "risk_parity",
    "view_uncertainty",
]
