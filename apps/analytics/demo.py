"""The analytics part of `load_demo`: nothing to store. Analytics computes P&L, performance and
attribution from the book (apps/portfolio/demo.py) and the price history (apps/marketdata/demo.py)
when asked; its stored results are caches, filled on first use."""

from __future__ import annotations

from django.core.management.base import OutputWrapper


def seed(*, stdout: OutputWrapper | None = None) -> None:
    """Idempotent by construction: analytics seeds nothing."""
