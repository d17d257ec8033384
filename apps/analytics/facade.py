"""What other engines may call about analytics: P&L now and the returns series behind every metric."""

from .selectors.pnl import PnlResult, portfolio_pnl, portfolios_pnl, positions_pnl
from .selectors.returns import ReturnsResult, benchmark_returns, portfolio_returns

__all__ = [
    "PnlResult",
    "ReturnsResult",
    "benchmark_returns",
    "portfolio_pnl",
    "portfolio_returns",
    "portfolios_pnl",
    "positions_pnl",
]
