"""Analytics services: P&L now (pnl) and NAV/returns (returns)."""

from .pnl import PnlResult, portfolio_pnl, portfolios_pnl, positions_pnl
from .returns import ReturnsResult, benchmark_returns, portfolio_returns

__all__ = [
    "PnlResult",
    "ReturnsResult",
    "benchmark_returns",
    "portfolio_pnl",
    "portfolio_returns",
    "portfolios_pnl",
    "positions_pnl",
]
