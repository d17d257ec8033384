"""What other engines may call about instruments: plain frozen dataclasses, never model instances."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from . import selectors
from .models import Instrument


@dataclass(frozen=True)
class InstrumentInfo:
    id: int
    symbol: str
    name: str
    asset_class: str
    currency: str
    exchange: str
    sector: str
    industry: str
    country: str
    lot_size: Decimal
    is_active: bool


def _info(i: Instrument) -> InstrumentInfo:
    return InstrumentInfo(
        id=i.pk,
        symbol=i.symbol,
        name=i.name,
        asset_class=i.asset_class,
        currency=i.currency,
        exchange=i.exchange,
        sector=i.sector,
        industry=i.industry,
        country=i.country,
        lot_size=i.lot_size,
        is_active=i.is_active,
    )


def instrument_get(symbol: str) -> InstrumentInfo | None:
    """The instrument with this symbol (case-insensitive), or None when it is unknown."""
    found = selectors.instrument_by_symbol(symbol)
    return _info(found) if found is not None else None


def instruments_by_symbols(symbols: Iterable[str]) -> dict[str, InstrumentInfo]:
    """Known instruments keyed by their (upper-case) symbol; unknown symbols are simply absent."""
    return {sym: _info(i) for sym, i in selectors.instruments_by_symbols(symbols).items()}


def instruments_active() -> list[InstrumentInfo]:
    """Every active instrument, ordered by symbol (simulated market, universe builders)."""
    return [_info(i) for i in selectors.instrument_list().filter(is_active=True)]
