"""What the book announces on the bus, sent only after the booking's commit."""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import transaction

from apps.platform import bus

from ..models import Portfolio
from .book import ZERO, Holding

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


def position_payload(portfolio: Portfolio, instrument_id: int, symbol: str, holding: Holding | None) -> dict:
    return {
        "portfolio": portfolio.code,
        "portfolio_id": portfolio.pk,
        "instrument_id": instrument_id,
        "symbol": symbol,
        "quantity": as_str(holding.quantity if holding else ZERO),
        "average_cost": as_str(holding.average_cost if holding else ZERO),
        "cash": as_str(portfolio.cash),
    }
