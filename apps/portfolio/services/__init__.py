"""Write operations on the book of record (a package: booking, validation, events, arithmetic)."""

from .book import Holding, book_replay, cash_delta, holding_after_trade
from .portfolios import portfolio_create
from .transactions import positions_rebuild, transaction_record
from .validation import transaction_check

__all__ = [
    "Holding",
    "book_replay",
    "cash_delta",
    "holding_after_trade",
    "portfolio_create",
    "positions_rebuild",
    "transaction_check",
    "transaction_record",
]
