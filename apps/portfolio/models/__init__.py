"""The book of record: portfolios, the transactions booked to them, and the positions they imply.

Positions and cash are derived state: `services.transactions.transaction_record` keeps them in step
with every booking, and `services.transactions.positions_rebuild` recomputes them from the
transactions alone.
"""

from .optimizations import Optimization, OptimizationStatus
from .portfolios import CODE_RE, FX_RATE, MONEY, QTY, CostMethod, Portfolio, code_validator
from .positions import Position
from .rebalancing import ProposalStatus, RebalanceProposal
from .transactions import AMOUNT_TYPES, CASH_TYPES, TRADE_TYPES, Transaction, TransactionType

__all__ = [
    "AMOUNT_TYPES",
    "CASH_TYPES",
    "CODE_RE",
    "FX_RATE",
    "MONEY",
    "QTY",
    "TRADE_TYPES",
    "CostMethod",
    "Optimization",
    "OptimizationStatus",
    "Portfolio",
    "Position",
    "ProposalStatus",
    "RebalanceProposal",
    "Transaction",
    "TransactionType",
    "code_validator",
]
