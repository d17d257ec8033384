"""Screening: many factors of the generated catalogue (kernels/generated.py) or the library scored
over one universe and window by their daily rank IC against the next `horizon` bars' return, with
the multiple testing made honest: every p-value is adjusted (Benjamini-Hochberg) over ALL the
factors screened, and the best one's mean IC is deflated for the number tried
(multiple_testing.deflated_best_mean), so a factor that is first by luck is flagged as such.

Scoring is kernels/screen.py's (batched evaluation, candidates that differ only by an outer map
keeping each date's order, cs_rank(X) and X, scored once) over field panels loaded once for the
whole screen. Nothing is stored; a factor worth keeping is saved as a definition by its formula.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..kernels.analysis import benjamini_hochberg, deflated_best_mean
from ..kernels.analysis.ic import ic_summary
from ..kernels.expressions import FormulaError, fields_used, history_rows, require_history
from ..kernels.generated import generated
from ..kernels.library import LIBRARY
from ..kernels.screen import rank_ic_scores
from .evaluation import NoData, formula_compile, panel_cache
from .forward import forward_returns_cached
from .panels import UnknownFieldData, field_panels


@dataclass(frozen=True)
class Screened:
    name: str
    formula: str
    mean_ic: float
    icir: float
    t_stat: float
    p_value: float
    p_value_adjusted: float
    n_dates: int


@dataclass(frozen=True)
class Screening:
    rows: tuple[Screened, ...]  # ordered by |t-stat|, strongest first
    screened: int
    failed: dict[str, str]  # name -> why it could not be evaluated (window longer than the data...)
    best_lucky: bool | None  # the best factor's deflated test: True when its IC is no better than luck
    best_deflated_p: float | None
    evaluations_per_second: float
    dates: int
    symbols: int


def screening_candidates(*, library: str, first: int = 0, count: int = 1000) -> list[tuple[str, str]]:
    """(name, formula) of `count` entries of the generated catalogue from number `first`, or of a
    library ("alpha158", "alpha101")."""
    if library == "generated":
        return [(g.name, g.formula) for g in map(generated, range(first, first + count))]
    return list(LIBRARY[library].items())[first : first + count]


def _unloadable(panels, field: str, missing: dict[str, str]) -> bool:
    """Whether `field` cannot be loaded (its reason kept in `missing`, each field tried once)."""
    if field not in missing:
        try:
            panels.panel(field)
            missing[field] = ""
        except UnknownFieldData as exc:
            missing[field] = str(exc)
    return bool(missing[field])


def _finite(x: float) -> float:
    return float(x) if np.isfinite(x) else float("nan")


def factors_screen(
    candidates: Sequence[tuple[str, str]],
    *,
    symbols: Sequence[str],
    start: pd.Timestamp,
    end: pd.Timestamp,
    horizon: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> Screening:
    """Score every (name, formula) of `candidates` over the window (see the module docstring)."""
    compiled, failed = [], {}
    for name, formula in candidates:
        try:
            compiled.append((name, formula, formula_compile(formula)))
        except FormulaError as exc:
            failed[name] = exc.message
    history = history_rows([c for _, _, c in compiled]) if compiled else 1
    panels = field_panels(symbols=symbols, start=start, end=end, history=history)
    if panels.shape[0] <= panels.history:
        raise NoData(f"no bars for these symbols in [{start}, {end})")
    window = slice(panels.history, None)
    close = panels.panel("close")[window]
    fwd = forward_returns_cached(
        close, fingerprint=f"{panels.fingerprint(['close'])}|{panels.history}", longest=horizon
    )[horizon - 1 : horizon]
    usable, missing = [], {}
    for name, formula, checked in compiled:
        try:
            require_history([checked], panels.shape[0])
        except FormulaError as exc:
            failed[name] = exc.message
            continue
        absent = [f for f in sorted(fields_used(checked)) if _unloadable(panels, f, missing)]
        if absent:  # e.g. an economic series the database does not hold
            failed[name] = "; ".join(missing[f] for f in absent)
            continue
        usable.append((name, formula, checked))
    started = time.perf_counter()
    # Cached results are keyed by every field the screen reads (bars, features, economic series), so
    # a revised series or corrected bar is never answered from an older screen's values.
    read = sorted(set().union(*(fields_used(c) for _, _, c in usable))) if usable else []
    context = f"screen|{panels.fingerprint(read)}"
    ics, row = rank_ic_scores(
        [c for _, _, c in usable],
        fields=panels.panel,
        shape=panels.shape,
        window=window,
        fwd=fwd[0],
        cache=panel_cache(),
        context=context,
        progress=progress,
    )
    summary = ic_summary(ics) if len(ics) else None  # every distinct core at once
    scores = [(name, formula, ics[j], summary, j) for (name, formula, _), j in zip(usable, row, strict=True)]
    elapsed = time.perf_counter() - started
    p_values = np.array([s.p_value[j] for _, _, _, s, j in scores], dtype=np.float64)
    adjusted = benjamini_hochberg(p_values) if len(p_values) else p_values
    rows = [
        Screened(
            name=name,
            formula=formula,
            mean_ic=_finite(s.mean[j]),
            icir=_finite(s.risk_adjusted[j]),
            t_stat=_finite(s.t_stat[j]),
            p_value=_finite(p),
            p_value_adjusted=_finite(a),
            n_dates=int(s.n_dates[j]),
        )
        for (name, formula, _, s, j), p, a in zip(scores, p_values, adjusted, strict=True)
    ]
    order = sorted(
        range(len(rows)), key=lambda i: -abs(rows[i].t_stat) if np.isfinite(rows[i].t_stat) else 0.0
    )
    lucky = deflated_p = None
    if len(scores) >= 2:
        signed = np.array([np.sign(np.nanmean(ic)) * ic for _, _, ic, _, _ in scores])
        best = deflated_best_mean(signed)
        deflated_p = _finite(best.p_value)
        lucky = bool(not (deflated_p <= 0.05))
    return Screening(
        rows=tuple(rows[i] for i in order),
        screened=len(rows),
        failed=failed,
        best_lucky=lucky,
        best_deflated_p=deflated_p,
        evaluations_per_second=len(rows) / elapsed if elapsed > 0 else float("nan"),
        dates=len(close),
        symbols=len(symbols),
    )
