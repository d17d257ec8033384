"""Write operations on instruments."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.platform.fields import printable_problem

from ..models import Instrument
from ..selectors.instruments import normalize_symbol

_EDITABLE = (
    "name",
    "asset_class",
    "currency",
    "exchange",
    "sector",
    "industry",
    "country",
    "lot_size",
    "is_active",
)


def _clean_fields(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(_EDITABLE)
    if unknown:
        raise TypeError(f"not editable: {', '.join(sorted(unknown))}")
    if "currency" in fields and fields["currency"]:
        fields["currency"] = fields["currency"].strip().upper()
    return fields


@transaction.atomic
def instrument_create(
    *,
    symbol: str,
    name: str = "",
    asset_class: str = "equity",
    currency: str = "USD",
    exchange: str = "",
    sector: str = "",
    industry: str = "",
    country: str = "",
    lot_size: Decimal = Decimal("1"),
    is_active: bool = True,
) -> Instrument:
    fields = _clean_fields(
        {
            "name": name,
            "asset_class": asset_class,
            "currency": currency,
            "exchange": exchange,
            "sector": sector,
            "industry": industry,
            "country": country,
            "lot_size": lot_size,
            "is_active": is_active,
        }
    )
    symbol = normalize_symbol(symbol)
    if printable_problem(symbol):  # every writer: the API, uploads creating instruments, loaders
        raise ValidationError({"symbol": printable_problem(symbol)})
    instrument = Instrument(symbol=symbol, **fields)
    instrument.full_clean()  # field messages (unique symbol, ISO currency, lot size) instead of IntegrityError
    instrument.save()
    return instrument


@transaction.atomic
def instrument_update(*, instrument: Instrument, **fields: Any) -> Instrument:
    """Update editable fields. The symbol is the instrument's public key and never changes."""
    for key, value in _clean_fields(dict(fields)).items():
        setattr(instrument, key, value)
    instrument.full_clean()
    instrument.save()
    return instrument


@transaction.atomic
def instrument_upsert(*, symbol: str, **fields: Any) -> tuple[Instrument, bool]:
    """Create the instrument or bring an existing one up to date (demo data and bulk loaders)."""
    existing = Instrument.objects.select_for_update().filter(symbol=normalize_symbol(symbol)).first()
    if existing is None:
        return instrument_create(symbol=symbol, **fields), True
    return instrument_update(instrument=existing, **fields), False
