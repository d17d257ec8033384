"""Opening portfolios."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from ..models import Portfolio, TransactionType
from .transactions import transaction_record


@transaction.atomic
def portfolio_create(
    *,
    code: str,
    name: str,
    owner,
    group=None,
    base_currency: str = "USD",
    benchmark=None,
    long_only: bool = True,
    cost_method: str = "fifo",
    initial_cash: Decimal | None = None,
) -> Portfolio:
    """Open a portfolio. Initial cash is booked as a deposit so cash always equals its transactions.
    `benchmark` is an Instrument or marketdata's InstrumentInfo (anything with its `id`)."""
    portfolio = Portfolio(
        code=code.strip(),
        name=name,
        owner=owner,
        group=group,
        base_currency=base_currency.strip().upper(),
        benchmark_id=None if benchmark is None else benchmark.id,
        long_only=long_only,
        cost_method=cost_method,
    )
    portfolio.full_clean(exclude=["cash"])
    portfolio.save()
    if initial_cash:
        transaction_record(
            portfolio=portfolio, type=TransactionType.DEPOSIT, amount=initial_cash, created_by=owner
        )
    return portfolio
