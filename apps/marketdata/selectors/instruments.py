"""Reads of instruments: by symbol, lists, and symbol -> id lookups (raising UnknownSymbolError)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.models import QuerySet

from ..models import Instrument
from .errors import UnknownSymbolError
from .rows import raw


def normalize_symbol(symbol: str) -> str:
    return (symbol or "").strip().upper()


def instrument_list() -> QuerySet[Instrument]:
    return Instrument.objects.all()


def instruments_active() -> QuerySet[Instrument]:
    """Every active instrument, ordered by symbol."""
    return Instrument.objects.filter(is_active=True)


def instrument_by_symbol(symbol: str) -> Instrument | None:
    return Instrument.objects.filter(symbol=normalize_symbol(symbol)).first()


def instruments_by_symbols(symbols: Iterable[str]) -> dict[str, Instrument]:
    wanted = {normalize_symbol(s) for s in symbols}
    return {i.symbol: i for i in Instrument.objects.filter(symbol__in=wanted)}


def instrument_ids(symbols: Iterable[str]) -> dict[str, int]:
    """Symbol -> instrument id in the order asked (duplicates dropped); raises UnknownSymbolError."""
    wanted = list(dict.fromkeys(normalize_symbol(s) for s in symbols if normalize_symbol(s)))
    if connection.vendor == "postgresql":
        # One array parameter: `symbol__in` binds one placeholder per symbol, and psycopg's client-
        # side query splitting of 500 of them cost more than the lookup (a pre-trade check's budget).
        table = Instrument._meta.db_table
        found = dict(raw(f"SELECT symbol, id FROM {table} WHERE symbol = ANY(%s)", [wanted]))
    else:
        found = dict(Instrument.objects.filter(symbol__in=wanted).values_list("symbol", "pk"))
    missing = [s for s in wanted if s not in found]
    if missing:
        raise UnknownSymbolError(missing)
    return {s: found[s] for s in wanted}
