"""What an analysis request names, resolved: factor definitions (by "name" — its latest version —
"name@version" or id) and the universe (symbols, or every active instrument), and the [start, end)
window. Each problem is a ValidationError keyed by the request's field."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd
from django.core.exceptions import ValidationError

from apps.marketdata import facade as marketdata

from ..models import FactorDefinition

_LABEL = re.compile(r"^(?P<name>[^@]+)@(?P<version>[0-9]{1,9})$")


def definition_by_label(label: str) -> FactorDefinition | None:
    """ "name@version" exactly, or "name": its latest version; None when there is no such factor."""
    label = str(label).strip()
    m = _LABEL.match(label)
    if m:
        return FactorDefinition.objects.filter(name=m["name"], version=int(m["version"])).first()
    return FactorDefinition.objects.filter(name=label).order_by("-version").first()


def definition_by_reference(reference: str | int) -> FactorDefinition | None:
    """An id (digits) or a label (`definition_by_label`)."""
    text = str(reference).strip()
    if text.isdigit():
        return FactorDefinition.objects.filter(pk=int(text)).first() if len(text) < 19 else None
    return definition_by_label(text)


def definitions_requested(references: Sequence[str], *, field: str = "factors") -> list[FactorDefinition]:
    """The definitions named (ids or labels), each once, in the order named."""
    if not references:
        raise ValidationError({field: ['give at least one factor ("name", "name@version" or an id)']})
    found, unknown = [], []
    for ref in dict.fromkeys(str(r) for r in references):
        d = definition_by_reference(ref)
        (unknown.append(ref) if d is None else found.append(d))
    if unknown:
        raise ValidationError({field: [f"unknown factor: {', '.join(unknown[:20])}"]})
    return list({d.pk: d for d in found}.values())


def symbols_requested(
    symbols: Sequence[str] | None, universe: str | None, *, field: str = "symbols"
) -> list[str]:
    """The symbols asked (upper case, each once, in order), or every active instrument's for
    universe "all"."""
    if universe == "all":
        symbols = [i.symbol for i in marketdata.instruments_active()]
        if not symbols:
            raise ValidationError({"universe": ["there is no active instrument"]})
        return symbols
    asked = list(dict.fromkeys(str(s).strip().upper() for s in symbols or () if str(s).strip()))
    if not asked:
        raise ValidationError({field: ['give at least one symbol, or universe "all"']})
    found = marketdata.instruments_by_symbols(asked)
    unknown = [s for s in asked if s not in found]
    if unknown:
        raise ValidationError({field: [f"unknown symbol: {', '.join(unknown[:20])}"]})
    return asked


def window_requested(start, end) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[start, end) as UTC Timestamps (a bare-date end includes its day); both required."""
    problems = {}
    if not start:
        problems["start"] = ["give the window's start (ISO date or date-time)"]
    if not end:
        problems["end"] = ["give the window's end (ISO date or date-time)"]
    if problems:
        raise ValidationError(problems)
    lo, hi = marketdata.window_start_utc(start), marketdata.window_end_utc(end)
    if lo >= hi:
        raise ValidationError({"end": ["must be after start"]})
    return lo, hi
