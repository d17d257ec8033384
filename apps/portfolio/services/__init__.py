"""Writes to the book of record: opening portfolios, booking transactions (validated, announced on
the bus after commit), rebuilding positions, repairing bad rows. The book's arithmetic is in
kernels/book.py (re-exported here for the callers that book through this package)."""

from ..kernels.book import Holding, book_replay, cash_delta, holding_after_trade
from .book_check import book_repair
from .portfolios import portfolio_create
from .transactions import positions_rebuild, transaction_record
from .validation import transaction_check

__all__ = [
    "Holding",
    "book_repair",
    "book_replay",
    "cash_delta",
    "holding_after_trade",
    "portfolio_create",
    "positions_rebuild",
    "transaction_check",
    "transaction_record",
]
