"""Serializers of the portfolio API, one module per resource."""

from .portfolios import PortfolioCreateSerializer, PortfolioDetailSerializer, PortfolioSerializer
from .positions import PositionSerializer
from .transactions import TransactionCreateSerializer, TransactionSerializer

__all__ = [
    "PortfolioCreateSerializer",
    "PortfolioDetailSerializer",
    "PortfolioSerializer",
    "PositionSerializer",
    "TransactionCreateSerializer",
    "TransactionSerializer",
]
