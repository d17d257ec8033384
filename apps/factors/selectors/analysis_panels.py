"""The panel every factor analysis reads: the factors' values, the adjusted close their forward
returns come from and the instruments' sectors, over one universe and [start, end) window, on one
calendar.

All the factors of a request are evaluated together (one `factor_values` call, each shared
sub-expression once) with `$close` added to the same call, so prices and factor values share the
calendar and the look-back load. Factors defined on unadjusted prices need a second call (the
close for returns is always adjusted: a split is not a return); its rows are aligned on the first
call's dates.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError

from apps.marketdata import facade as marketdata

from ..kernels.expressions import FormulaError
from ..models import FactorDefinition
from .evaluation import NoData, factor_values, formula_compile
from .forward import forward_returns_cached
from .panels import UnknownFieldData

CLOSE = "$close"


@dataclass(frozen=True)
class AnalysisPanel:
    """factors (K, T, N) in the order of `definitions`; close (T, N) adjusted; sectors int (T, N)
    (-1: none) indexing `sector_names`; fingerprints: per factor, the data its analysis reads (its
    own fields, the close and the sectors) — the reproducibility key's data part."""

    definitions: tuple[FactorDefinition, ...]
    dates: pd.DatetimeIndex
    symbols: tuple[str, ...]
    factors: np.ndarray
    close: np.ndarray
    sectors: np.ndarray
    sector_names: tuple[str, ...]
    fingerprints: tuple[str, ...]
    interval: str
    close_fingerprint: str = ""  # the evaluation's fingerprint of `close` (its forward returns' key)

    def forward(self, longest: int) -> np.ndarray:
        """Forward returns of the close for horizons 1..longest, (longest, T, N), read-only; computed
        once per close (selectors/forward.py)."""
        return forward_returns_cached(self.close, fingerprint=self.close_fingerprint, longest=longest)


def _compiled(definitions: Sequence[FactorDefinition]):
    out = []
    for d in definitions:
        try:
            out.append(formula_compile(d.formula))
        except FormulaError as exc:  # a stored formula the current operators no longer accept
            raise ValidationError({"factors": [f"{d.label}: {exc.message}"]}) from None
    return out


def _values(formulas, *, symbols, start, end, interval, adjusted):
    try:
        return factor_values(
            formulas, symbols=symbols, start=start, end=end, interval=interval, adjusted=adjusted
        )
    except NoData as exc:
        raise ValidationError({"start": [str(exc)]}) from None
    except (FormulaError, UnknownFieldData) as exc:
        raise ValidationError({"factors": [str(getattr(exc, "message", exc))]}) from None
    except marketdata.UnknownSymbolError as exc:
        raise ValidationError({"symbols": [str(exc)]}) from None


def sector_labels(symbols: Sequence[str]) -> tuple[np.ndarray, tuple[str, ...]]:
    """Per symbol, the index of its sector among the sorted known sectors (-1: none), and those."""
    infos = marketdata.instruments_by_symbols(symbols)
    names = [(infos[s].sector or "") if s in infos else "" for s in symbols]
    known = tuple(sorted({n for n in names if n}))
    code = {n: k for k, n in enumerate(known)}
    return np.array([code.get(n, -1) for n in names], dtype=np.int64), known


def analysis_panel(
    definitions: Sequence[FactorDefinition], *, symbols: Sequence[str], start: pd.Timestamp, end: pd.Timestamp
) -> AnalysisPanel:
    """Evaluate `definitions` (one interval) and the adjusted close over [start, end) for `symbols`.
    ValidationError keyed "factors" (mixed intervals, a formula that cannot be evaluated), "start"
    (no bar in the window) or "symbols"."""
    definitions = tuple(definitions)
    intervals = sorted({d.interval for d in definitions})
    if len(intervals) != 1:
        raise ValidationError(
            {"factors": [f"analyse factors of one interval at a time, got {', '.join(intervals)}"]}
        )
    interval = intervals[0]
    compiled = _compiled(definitions)
    adjusted = [k for k, d in enumerate(definitions) if d.adjusted]
    raw = [k for k, d in enumerate(definitions) if not d.adjusted]
    ask = dict(symbols=list(symbols), start=start, end=end, interval=interval)
    main = _values([*(compiled[k] for k in adjusted), formula_compile(CLOSE)], adjusted=True, **ask)
    t, n = len(main.dates), len(main.symbols)
    factors = np.full((len(definitions), t, n), np.nan)
    fingerprints = [""] * len(definitions)
    for j, k in enumerate(adjusted):
        factors[k], fingerprints[k] = main.values[j], main.fingerprints[j]
    if raw:
        other = _values([compiled[k] for k in raw], adjusted=False, **ask)
        rows = other.dates.get_indexer(main.dates)  # -1 where the unadjusted calendar lacks a date
        for j, k in enumerate(raw):
            factors[k] = np.where(rows[:, None] >= 0, other.values[j][rows], np.nan)
            fingerprints[k] = other.fingerprints[j]
    row, sector_names = sector_labels(main.symbols)
    close_fp = main.fingerprints[-1]
    combined = tuple(
        hashlib.sha1(f"{fp}|{close_fp}|{'|'.join(sector_names)}|{row.tobytes().hex()}".encode()).hexdigest()
        for fp in fingerprints
    )
    return AnalysisPanel(
        definitions=definitions,
        dates=main.dates,
        symbols=main.symbols,
        factors=factors,
        close=np.array(main.values[-1]),
        sectors=np.broadcast_to(row, (t, n)),
        sector_names=sector_names,
        fingerprints=combined,
        interval=interval,
        close_fingerprint=f"{close_fp}|{interval}|{start.isoformat()}|{end.isoformat()}",
    )
