"""Repair of the rows `selectors.book_check.book_problems` finds: the bad transactions are deleted
(printed first by `manage.py book_check`, so they can be booked again correctly), the bad derived
rows (positions, cash) dropped, and positions and cash of every portfolio touched rebuilt from the
transactions that remain."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from ..models import Portfolio, Position, Transaction
from ..selectors.book_check import BadRow
from .book_versions import book_changed_on_commit
from .transactions import positions_rebuild


@transaction.atomic
def book_repair(problems: list[BadRow]) -> list[int]:
    """Delete the bad transactions, drop bad positions and cash, rebuild the portfolios touched.
    Returns their ids."""
    by_model: dict[str, set[int]] = {"transaction": set(), "position": set(), "portfolio": set()}
    for p in problems:
        by_model[p.model].add(p.pk)
    Transaction.objects.filter(pk__in=by_model["transaction"]).delete()
    Position.objects.filter(pk__in=by_model["position"]).delete()
    # Zeroed without reading the bad value back; the rebuild sets it from the transactions.
    Portfolio.objects.filter(pk__in=by_model["portfolio"]).update(cash=Decimal(0))
    touched = sorted({p.portfolio_id for p in problems})
    for pk in touched:  # the deletes and update() above send no signal
        book_changed_on_commit(pk)
    for portfolio in Portfolio.objects.filter(pk__in=touched).only("pk", "code", "cash"):
        positions_rebuild(portfolio=portfolio)
    return touched
