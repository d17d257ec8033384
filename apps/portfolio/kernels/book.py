"""The book's arithmetic, pure (Decimal, no Django): booking and rebuilding share it, so they cannot
disagree. Transaction types are their stored values ("buy", "sell", ...): the model's
TransactionType choices compare equal to them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

import numpy as np

QTY_STEP = Decimal("1e-10")
MONEY_STEP = Decimal("1e-8")
ZERO = Decimal("0")
ONE = Decimal("1")

BUY, SELL, DEPOSIT, DIVIDEND = "buy", "sell", "deposit", "dividend"
TRADE_TYPES = (BUY, SELL)


@dataclass(frozen=True)
class Holding:
    quantity: Decimal
    average_cost: Decimal


def holding_after_trade(
    holding: Holding | None, *, side: str, quantity: Decimal, price: Decimal
) -> Holding | None:
    """The holding after a buy or sell; None when the trade leaves it flat.

    Average cost moves only when exposure grows (volume-weighted with the new fill); reducing keeps
    it; a trade that crosses through zero opens the new side at the trade price. Fees stay out of the
    average: they are booked against cash.
    """
    held = holding.quantity if holding else ZERO
    avg = holding.average_cost if holding else ZERO
    signed = quantity if side == BUY else -quantity
    new_qty = held + signed
    if new_qty == 0:
        return None
    if held == 0 or (held > 0) == (signed > 0):
        with localcontext() as ctx:
            ctx.prec = 60
            avg = (abs(held) * avg + quantity * price) / abs(new_qty)
        avg = avg.quantize(QTY_STEP, rounding=ROUND_HALF_EVEN)
    elif (held > 0) != (new_qty > 0):
        avg = price
    return Holding(quantity=new_qty, average_cost=avg)


def cash_delta(
    *,
    type: str,
    quantity: Decimal | None,
    price: Decimal | None,
    fees: Decimal,
    amount: Decimal | None,
    fx_rate: Decimal = ONE,
) -> Decimal:
    """How a booking moves the book's cash, in the base currency. Fees always leave cash, whatever the
    type. A booking that names an instrument is in that instrument's currency (notional, fees, a
    dividend, a fee on it) and converts at `fx_rate`, the rate stored with it; deposits and
    withdrawals name none and are in base (rate 1)."""
    with localcontext() as ctx:
        ctx.prec = 60
        if type == BUY:
            gross = -(quantity * price)
        elif type == SELL:
            gross = quantity * price
        elif type in (DEPOSIT, DIVIDEND):
            gross = amount
        else:  # withdrawal, fee
            gross = -amount
        return ((gross - fees) * fx_rate).quantize(MONEY_STEP, rounding=ROUND_HALF_EVEN)


def cash_deltas(
    kind: np.ndarray,
    quantity: np.ndarray,
    price: np.ndarray,
    fees: np.ndarray,
    amount: np.ndarray,
    fx_rate: np.ndarray,
) -> np.ndarray:
    """`cash_delta` for many bookings at once, in float64 (analytics' replay): the same rule, so the
    time series of cash ends where the book of record's cash stands. Missing numbers are 0."""
    quantity, price, fees, amount = (
        np.nan_to_num(np.asarray(a, dtype=float)) for a in (quantity, price, fees, amount)
    )
    kind = np.asarray(kind)
    gross = np.select(
        [
            kind == "buy",
            kind == "sell",
            (kind == "deposit") | (kind == "dividend"),
            (kind == "withdrawal") | (kind == "fee"),
        ],
        [-quantity * price, quantity * price, amount, -amount],
        0.0,
    )
    return (gross - fees) * np.asarray(fx_rate, dtype=float)


def book_replay(transactions) -> tuple[dict[int, Holding], Decimal]:
    """Positions (by instrument id) and cash implied by transactions taken in booking order."""
    holdings: dict[int, Holding] = {}
    cash = ZERO
    for tx in transactions:
        cash += cash_delta(
            type=tx.type,
            quantity=tx.quantity,
            price=tx.price,
            fees=tx.fees,
            amount=tx.amount,
            fx_rate=tx.fx_rate,
        )
        if tx.type in TRADE_TYPES:
            after = holding_after_trade(
                holdings.get(tx.instrument_id), side=tx.type, quantity=tx.quantity, price=tx.price
            )
            if after is None:
                holdings.pop(tx.instrument_id, None)
            else:
                holdings[tx.instrument_id] = after
    return holdings, cash
