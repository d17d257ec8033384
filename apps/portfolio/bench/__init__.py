"""`manage.py bench portfolio`: the book's arithmetic and booking, optimization next to PyPortfolioOpt,
the book read latency (run.py, optimization.py, book_read.py)."""

from .run import run

__all__ = ["run"]
