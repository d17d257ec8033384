"""Formulas -> values: compile a formula against the operator registry and the fields, load the
universe's field panels with the history the formulas need, evaluate them together (each distinct
sub-expression once) and return the window's rows.

Results are cached in the process (PanelCache, FACTORS_CACHE_BYTES) under a fingerprint of the data
actually read (selectors/panels.py), so a cached value is reused only on identical inputs: a new bar
or a corrected one changes the fingerprint, and nothing stale is ever served. What a repeated
request still pays is the read of its fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.conf import settings

from ..kernels.expressions import (
    Checked,
    FormulaError,
    PanelCache,
    compile_formula,
    evaluate,
    fields_used,
    history_rows,
    require_history,
)
from ..kernels.operators import OPERATORS, operator_named
from .panels import FIELD_KINDS, FieldPanels, field_panels

OPERATOR_NAMES = tuple(name for spec in OPERATORS.values() for name in spec.names())

_cache: PanelCache | None = None


def panel_cache() -> PanelCache:
    """The process's formula cache (created on first use, sized by FACTORS_CACHE_BYTES)."""
    global _cache
    if _cache is None:
        _cache = PanelCache(max_bytes=settings.FACTORS_CACHE_BYTES)
    return _cache


def formula_compile(text: str) -> Checked:
    """Parse and check one formula; FormulaError (with its position) when it is not valid."""
    return compile_formula(text, operators=operator_named, fields=FIELD_KINDS, operator_names=OPERATOR_NAMES)


class NoData(LookupError):
    """The universe has no bars in the window."""


@dataclass(frozen=True)
class FactorValues:
    """Each formula's values over the window: `values[k]` is (dates, symbols), read-only, NaN where
    a value is undefined (warm-up, a missing bar). `fingerprint` identifies the data read."""

    dates: pd.DatetimeIndex
    symbols: tuple[str, ...]
    values: tuple[np.ndarray, ...]
    fingerprint: str
    # Per formula, the fingerprint of the fields that formula reads alone: what a stored result of
    # one formula is keyed by, whatever other formulas were evaluated in the same call.
    fingerprints: tuple[str, ...] = ()

    def frame(self, k: int = 0) -> pd.DataFrame:
        return pd.DataFrame(self.values[k], index=self.dates, columns=list(self.symbols))


def factor_values(
    formulas: Sequence[Checked],
    *,
    symbols: Sequence[str],
    start: pd.Timestamp,
    end: pd.Timestamp,
    interval: str = "1d",
    adjusted: bool = True,
) -> FactorValues:
    """Evaluate `formulas` for `symbols` over [start, end). Raises NoData (no bar in the window),
    FormulaError (a window longer than the data loaded), panels.UnknownFieldData (an unknown
    feature), marketdata's unknown-symbol error."""
    panels = field_panels(
        symbols=symbols,
        start=start,
        end=end,
        history=history_rows(formulas),
        interval=interval,
        adjusted=adjusted,
    )
    if panels.shape[0] <= panels.history:
        raise NoData(f"no {interval} bars for these symbols in [{start}, {end})")
    require_history(formulas, panels.shape[0])
    return _evaluated(formulas, panels, interval=interval, adjusted=adjusted)


def _evaluated(
    formulas: Sequence[Checked], panels: FieldPanels, *, interval: str, adjusted: bool
) -> FactorValues:
    used = [frozenset(fields_used(f)) for f in formulas]
    names = sorted(set().union(*used))
    fingerprint = panels.fingerprint(names)
    by_fields = {fields: panels.fingerprint(sorted(fields)) for fields in set(used)}  # one hash per field set
    context = f"{fingerprint}|{interval}|{'adj' if adjusted else 'raw'}"
    results = evaluate(
        formulas, fields=panels.panel, shape=panels.shape, cache=panel_cache(), context=context
    )
    window = slice(panels.history, None)
    return FactorValues(
        dates=panels.dates[window],
        symbols=panels.symbols,
        values=tuple(r[window] for r in results),
        fingerprint=fingerprint,
        fingerprints=tuple(by_fields[fields] for fields in used),
    )


__all__ = ["FactorValues", "FormulaError", "NoData", "factor_values", "formula_compile", "panel_cache"]
