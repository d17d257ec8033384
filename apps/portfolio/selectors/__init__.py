"""Reads over the book of record: by resource (portfolios, positions, transactions), who may see
what (access), and rows no booking could write today (book_check)."""

from .access import can_book, can_view, visible_q
from .book_check import BadRow, book_problems
from .portfolios import portfolio_by_code, portfolio_code_taken, portfolios_for_lookup, portfolios_visible_to
from .positions import position_rows, position_text_rows, positions_of
from .transactions import transactions_of, transactions_visible_to

__all__ = [
    "BadRow",
    "book_problems",
    "can_book",
    "can_view",
    "portfolio_by_code",
    "portfolio_code_taken",
    "portfolios_for_lookup",
    "portfolios_visible_to",
    "position_rows",
    "position_text_rows",
    "positions_of",
    "transactions_of",
    "transactions_visible_to",
    "visible_q",
]
