"""Read queries over instruments."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from .models import Instrument


def normalize_symbol(symbol: str) -> str:
    return (symbol or "").strip().upper()


def instrument_list() -> QuerySet[Instrument]:
    return Instrument.objects.all()


def instrument_by_symbol(symbol: str) -> Instrument | None:
    return Instrument.objects.filter(symbol=normalize_symbol(symbol)).first()


def instruments_by_symbols(symbols: Iterable[str]) -> dict[str, Instrument]:
    wanted = {normalize_symbol(s) for s in symbols}
    return {i.symbol: i for i in Instrument.objects.filter(symbol__in=wanted)}
