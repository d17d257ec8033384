"""What the book announces on the bus, sent only after the booking's commit.

`trading.positions.{code}` carries the book's state changes: a position moved by a trade or a
rebuild (`kind` "position"), or cash moved by a deposit, withdrawal, fee or dividend (`kind` "cash"):
either changes the NAV, so streaming P&L and the risk monitor listen to both."""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import transaction

from apps.platform import bus
from apps.platform.timestamps import iso_utc

from ..kernels.book import ZERO, Holding
from ..models import Portfolio, Transaction

logger = logging.getLogger("apps.portfolio.services")


def _publish(topic: str, payload: dict) -> None:
    try:
        bus.publish(topic, payload)
    except Exception:  # the booking is committed; a bus fault must not turn it into an error
        logger.exception("could not publish %s", topic)


def publish_on_commit(topic: str, payload: dict) -> None:
    transaction.on_commit(lambda: _publish(topic, payload))


def as_str(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def positions_topic(portfolio: Portfolio) -> str:
    return f"trading.positions.{portfolio.code}"


def position_payload(portfolio: Portfolio, instrument_id: int, symbol: str, holding: Holding | None) -> dict:
    return {
        "kind": "position",
        "portfolio": portfolio.code,
        "portfolio_id": portfolio.pk,
        "instrument_id": instrument_id,
        "symbol": symbol,
        "quantity": as_str(holding.quantity if holding else ZERO),
        "average_cost": as_str(holding.average_cost if holding else ZERO),
        "cash": as_str(portfolio.cash),
    }


def cash_payload(portfolio: Portfolio, tx: Transaction, symbol: str | None) -> dict:
    """A cash movement: its type, amount (positive; the type says which way) in the portfolio's
    currency, and the cash after it."""
    return {
        "kind": "cash",
        "transaction_id": tx.pk,
        "portfolio": portfolio.code,
        "portfolio_id": portfolio.pk,
        "type": tx.type,
        "amount": as_str(tx.amount),
        "fees": as_str(tx.fees),
        "currency": portfolio.base_currency,
        "symbol": symbol,  # the paying instrument of a dividend, else None
        "timestamp": iso_utc(tx.timestamp),
        "cash": as_str(portfolio.cash),
    }
