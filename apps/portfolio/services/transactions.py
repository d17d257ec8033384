"""Booking transactions and rebuilding positions from them.

Every booking goes through `transaction_record`: it locks the portfolio (which serialises all
bookings to it) and the position row, validates, moves the position and the cash together, and
publishes `trading.executions.<code>` / `trading.positions.<code>` for a trade, and
`trading.positions.<code>` with `kind` "cash" for a deposit, withdrawal, fee or dividend, only once
the database commit has happened — a rolled-back booking is never announced.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from apps.marketdata import facade as marketdata
from apps.platform.timestamps import iso_utc

from ..kernels.book import ZERO, Holding, book_replay, cash_delta, holding_after_trade
from ..models import TRADE_TYPES, Portfolio, Position, Transaction
from .book_versions import book_changed_on_commit
from .events import as_str, cash_payload, position_payload, positions_topic, publish_on_commit
from .validation import booking_rate, check_against_book, check_fields, holding_of


@transaction.atomic
def transaction_record(
    *,
    portfolio: Portfolio,
    type: str,
    instrument: str | object | None = None,
    quantity: Decimal | None = None,
    price: Decimal | None = None,
    fees: Decimal = ZERO,
    amount: Decimal | None = None,
    timestamp: dt.datetime | None = None,
    created_by=None,
) -> Transaction:
    """Book one transaction and move the position and cash with it, all or nothing.

    `instrument` is a symbol, an Instrument or marketdata's InstrumentInfo. Raises ValidationError keyed by argument name
    (`quantity`, `instrument`, `amount`, ...) when the booking is not allowed.
    """
    booking = check_fields(
        type=type,
        instrument=instrument,
        quantity=quantity,
        price=price,
        fees=fees,
        amount=amount,
        timestamp=timestamp,
    )
    # Lock order is always portfolio, then position: no two bookings can deadlock on each other.
    locked = Portfolio.objects.select_for_update().get(pk=portfolio.pk)
    position = None
    if booking.instrument_id is not None:
        position = (
            Position.objects.select_for_update()
            .filter(portfolio=locked, instrument_id=booking.instrument_id)
            .first()
        )
    holding = holding_of(position)
    booking = booking_rate(booking, base=locked.base_currency)
    check_against_book(booking, portfolio=locked, holding=holding)

    tx = Transaction.objects.create(
        portfolio=locked,
        type=booking.type,
        instrument_id=booking.instrument_id,
        quantity=booking.quantity,
        price=booking.price,
        fees=booking.fees,
        amount=booking.amount,
        fx_rate=booking.fx_rate,
        timestamp=booking.timestamp,
        created_by=created_by,
    )
    locked.cash = locked.cash + cash_delta(
        type=booking.type,
        quantity=booking.quantity,
        price=booking.price,
        fees=booking.fees,
        amount=booking.amount,
        fx_rate=booking.fx_rate,
    )
    locked.save(update_fields=["cash", "updated_at"])
    portfolio.cash, portfolio.updated_at = locked.cash, locked.updated_at

    if booking.type in TRADE_TYPES:
        after = holding_after_trade(
            holding, side=booking.type, quantity=booking.quantity, price=booking.price
        )
        _position_save(locked, booking.instrument_id, position, after)
        publish_on_commit(
            f"trading.executions.{locked.code}",
            {
                "transaction_id": tx.pk,
                "portfolio": locked.code,
                "portfolio_id": locked.pk,
                "instrument_id": booking.instrument_id,
                "symbol": booking.symbol,
                "side": booking.type,
                "quantity": as_str(booking.quantity),
                "price": as_str(booking.price),
                "fees": as_str(booking.fees),
                "timestamp": iso_utc(booking.timestamp),
                "cash": as_str(locked.cash),
            },
        )
        payload = position_payload(locked, booking.instrument_id, booking.symbol, after)
        publish_on_commit(positions_topic(locked), payload | {"transaction_id": tx.pk})
    else:  # cash moved, so did NAV: streaming P&L and the risk monitor must hear of it
        publish_on_commit(positions_topic(locked), cash_payload(locked, tx, booking.symbol or None))
    return tx


def _position_save(
    portfolio: Portfolio, instrument_id: int, row: Position | None, after: Holding | None
) -> None:
    if after is None:
        if row is not None:
            row.delete()
            book_changed_on_commit(portfolio.pk)  # no post_delete receiver: see book_versions
    elif row is None:
        Position.objects.create(
            portfolio=portfolio,
            instrument_id=instrument_id,
            quantity=after.quantity,
            average_cost=after.average_cost,
        )
    elif (row.quantity, row.average_cost) != (after.quantity, after.average_cost):
        row.quantity, row.average_cost = after.quantity, after.average_cost
        row.save(update_fields=["quantity", "average_cost", "updated_at"])


@transaction.atomic
def positions_rebuild(*, portfolio: Portfolio) -> list[Position]:
    """Recompute positions and cash from the portfolio's transactions alone and store the result.

    On a consistent book this changes nothing; any position it had to repair is announced on
    `trading.positions.<code>`.
    """
    locked = Portfolio.objects.select_for_update().get(pk=portfolio.pk)
    rows = {p.instrument_id: p for p in Position.objects.select_for_update().filter(portfolio=locked)}
    holdings, cash = book_replay(Transaction.objects.filter(portfolio=locked).order_by("id").iterator())

    changed = [iid for iid in set(rows) | set(holdings) if holding_of(rows.get(iid)) != holdings.get(iid)]
    for iid in changed:
        _position_save(locked, iid, rows.get(iid), holdings.get(iid))
    if cash != locked.cash:
        locked.cash = cash
        locked.save(update_fields=["cash", "updated_at"])
    portfolio.cash = locked.cash

    if changed:
        symbols = marketdata.instrument_symbols(changed)
        for iid in sorted(changed):
            publish_on_commit(
                positions_topic(locked),
                position_payload(locked, iid, symbols.get(iid, ""), holdings.get(iid)) | {"rebuilt": True},
            )
    return list(
        Position.objects.filter(portfolio=locked).select_related("instrument").order_by("instrument__symbol")
    )
