"""What one whole-panel evaluation costs at the least on this machine: the cheapest formula there is,
`$close/$open` (one division per cell, the answer written to fresh memory), evaluated cold through
the engine, next to the bare numpy division in the same run.

Why: the issue asks for ≥ 5,000 cold evaluations/s of Alpha158-style formulas over 500 × 2,520. No
formula over the panel is cheaper than one division of two of its fields, so the bare division's
rate is an upper bound for any formula mix; this figure shows in every run how far the target lies
from it (the note gives the factor), rather than leaving it to an argument in the README."""

from __future__ import annotations

import statistics
import time

import numpy as np

from apps.platform.bench.figures import figure

from ..kernels.expressions import PanelCache, evaluate
from ..selectors.evaluation import formula_compile

FORMULA = "$close/$open"
TARGET_PER_S = 5000  # the cold target for a formula mix
CACHE_BYTES = 1 << 30


def _rate(fn, calls: int, repeats: int) -> float:
    """Calls per second: the median over `repeats` rounds of `calls` calls each."""
    rounds = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        rounds.append((time.perf_counter() - t0) / calls)
    return 1.0 / statistics.median(rounds)


def measure(panels: dict[str, np.ndarray], repeats: int) -> tuple[list[dict], list[str]]:
    close, open_ = panels["close"], panels["open"]
    shape = close.shape
    tree = formula_compile(FORMULA)

    def engine() -> np.ndarray:  # a fresh cache: computed, not looked up
        return evaluate([tree], fields=panels.__getitem__, shape=shape, cache=PanelCache(CACHE_BYTES))[0]

    def bare() -> np.ndarray:
        return np.divide(close, open_)

    same = np.array_equal(engine(), bare(), equal_nan=True)
    calls = max(5, int(2e8 // close.size))  # ~0.3 s a round at 500 x 2,520
    ours, numpy_rate = _rate(engine, calls, repeats), _rate(bare, calls, repeats)
    figures = [figure("floor_formulas_per_s[$close/$open, cold]", ours, "formulas/s", numpy_rate)]
    t, n = shape
    notes = [
        f"floor: the cheapest formula ({FORMULA}, one division per cell) over {n} x {t}: "
        f"{ours:,.0f}/s cold through the engine, {numpy_rate:,.0f}/s as the bare numpy division "
        f"({'same answer' if same else 'ANSWERS DIFFER'}); no formula over this panel evaluates faster "
        f"than that division, so {TARGET_PER_S:,}/s for a formula mix is "
        f"{TARGET_PER_S / numpy_rate:.1f}x this machine's bound"
    ]
    return figures, notes
