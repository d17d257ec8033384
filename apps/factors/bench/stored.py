"""The formula mix through `selectors.evaluation.factor_values` over stored bars: the universe's bars
read from the database, pivoted into field panels, fingerprinted, evaluated — what
POST /api/factors/calculate does — cold (the process cache emptied first) and warm (the cache
already holding this data's results: the run still reads and fingerprints the bars, then counts
cache hits). Baseline: the pandas formulas on the same panels in memory (evaluation.py's figure)."""

from __future__ import annotations

import statistics
import time

import numpy as np

from apps.platform.bench.figures import figure, progress_steps

from ..selectors.evaluation import factor_values, formula_compile, panel_cache
from .alpha_mix import MIX
from .data import stored_universe


def measure(
    panels: dict[str, np.ndarray], *, pandas_per_s: float, repeats: int, progress: bool = False
) -> tuple[list[dict], list[str]]:
    trees = [formula_compile(text) for _, text, _ in MIX]
    n_dates, n_inst = panels["close"].shape
    steps = progress_steps(progress, 3, "stored: write bars, cold, warm")
    with stored_universe(panels) as u:
        steps.update(1)
        # The window starts after the longest look-back, so the answer covers the rest of the data.
        start, end = u.dates[25], u.dates[-1] + (u.dates[-1] - u.dates[-2])

        def run():
            return factor_values(trees, symbols=u.symbols, start=start, end=end)

        cold = []
        for _ in range(repeats):
            panel_cache().clear()
            t0 = time.perf_counter()
            got = run()
            cold.append(time.perf_counter() - t0)
        steps.update(1)
        hits_before = panel_cache().hits
        warm = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            run()
            warm.append(time.perf_counter() - t0)
        hits = (panel_cache().hits - hits_before) // repeats
        steps.close()
    panel_cache().clear()
    k = len(trees)
    cold_s, warm_s = statistics.median(cold), statistics.median(warm)
    figures = [
        figure("stored_formulas_per_s[cold]", k / cold_s, "formulas/s", pandas_per_s),
        figure("stored_formulas_per_s[warm, cache hits]", k / warm_s, "formulas/s", pandas_per_s),
    ]
    notes = [
        f"stored: the same {k} formulas through factor_values over {n_inst} instruments x {n_dates} stored "
        f"daily bars ({len(got.dates)} dates answered); baseline: pandas in memory (no database); median "
        f"of {repeats} runs; warm: {hits} cache hits per run, the bars still read and fingerprinted",
    ]
    return figures, notes
