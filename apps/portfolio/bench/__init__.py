"""`manage.py bench portfolio`: the book's arithmetic and booking, each next to a baseline (run.py)."""

from .run import run

__all__ = ["run"]
