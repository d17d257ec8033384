"""Factor evaluations per second through `kernels.expressions.evaluate` on synthetic panels (no
database), next to the same formulas written with pandas rolling (alpha_mix.py), in one run:

- cold: a fresh, empty `PanelCache` per run: every operator computed (shared sub-expressions once);
- warm: a `PanelCache` already holding this data's results. Warm runs count cache HITS — the values
  were computed before, the run only looks them up. It is what a repeated request over unchanged
  data costs in the kernel, not a faster computation.

Before timing, each formula's answer is compared with its pandas version (notes)."""

from __future__ import annotations

import statistics
import time

import numpy as np

from apps.platform.bench.figures import figure, progress_steps

from ..kernels.expressions import PanelCache, evaluate
from ..selectors.evaluation import formula_compile
from .alpha_mix import MIX, frames_of, synthetic_panels

FULL = {"eval_instruments": 500, "eval_dates": 2520, "eval_repeats": 3}
QUICK = {"eval_instruments": 20, "eval_dates": 260, "eval_repeats": 1}
CACHE_BYTES = 8 << 30


def _median_s(fn, repeats: int, cpu: list | None = None) -> float:
    """Median wall seconds of `repeats` runs; `cpu` (if given) gets the median CPU seconds of this
    process (user + system) over the same runs: on a shared machine wall time also counts the time
    other processes held the cores."""
    runs, cpu_runs = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        runs.append(time.perf_counter() - t0)
        cpu_runs.append(time.process_time() - c0)
    if cpu is not None:
        cpu.append(statistics.median(cpu_runs))
    return statistics.median(runs)


def agreement(ours: list[np.ndarray], theirs: list[np.ndarray]) -> list[str]:
    """Formulas whose answers differ (NaN in different places, or a value off by more than 1e-8
    relative to the formula's scale); empty when all agree."""
    differ = []
    for (name, _, _), a, b in zip(MIX, ours, theirs, strict=True):
        if not np.array_equal(np.isnan(a), np.isnan(b)):
            differ.append(
                f"{name}: NaN in other places ({int(np.isnan(a).sum())} vs {int(np.isnan(b).sum())})"
            )
            continue
        scale = np.nanmax(np.abs(b)) if np.isfinite(b).any() else 1.0
        worst = float(np.nanmax(np.abs(a - b))) if np.isfinite(a).any() else 0.0
        if worst > 1e-8 * max(scale, 1e-300):
            differ.append(f"{name}: differs by {worst:.1e} (scale {scale:.1e})")
    return differ


def measure(sizes: dict, progress: bool = False) -> tuple[list[dict], list[str], dict[str, np.ndarray]]:
    n, t, repeats = sizes["eval_instruments"], sizes["eval_dates"], sizes["eval_repeats"]
    panels = synthetic_panels(t, n)
    frames = frames_of(panels)
    trees = [formula_compile(text) for _, text, _ in MIX]
    shape = (t, n)

    def run(cache: PanelCache | None) -> list[np.ndarray]:
        return evaluate(trees, fields=panels.__getitem__, shape=shape, cache=cache, context="bench")

    def pandas_mix() -> list[np.ndarray]:
        return [fn(frames).to_numpy() for _, _, fn in MIX]

    steps = progress_steps(progress, 4, "formulas: check, pandas, cold, warm")
    differ = agreement(run(None), pandas_mix())
    steps.update(1)
    cpu: list[float] = []
    pandas_s = _median_s(pandas_mix, repeats, cpu)
    steps.update(1)
    cold_s = _median_s(lambda: run(PanelCache(CACHE_BYTES)), repeats, cpu)
    steps.update(1)
    warm = PanelCache(CACHE_BYTES)
    run(warm)
    hits_before = warm.hits
    warm_s = _median_s(lambda: run(warm), repeats)
    hits = (warm.hits - hits_before) // repeats
    steps.close()
    k = len(MIX)
    baseline = k / pandas_s
    figures = [
        figure("formulas_per_s[cold]", k / cold_s, "formulas/s", baseline),
        figure("formulas_per_s[warm, cache hits]", k / warm_s, "formulas/s", baseline),
        figure("formula_values_per_s[cold]", k * t * n / cold_s, "values/s", k * t * n / pandas_s),
    ]
    notes = [
        f"formulas: {k} Alpha158-style formulas over {n} instruments x {t} days (synthetic, in memory); "
        f"baseline: the same formulas with pandas rolling, each on its own; median of {repeats} runs",
        f"formulas warm: {hits} cache hits per run (the formulas' results looked up, not computed)",
        f"formulas CPU time per run (user + system, median): pandas {cpu[0]:.2f} s, cold {cpu[1]:.2f} s; "
        f"wall: pandas {pandas_s:.2f} s, cold {cold_s:.2f} s",
        "formulas vs pandas: " + ("every formula agrees" if not differ else "; ".join(differ)),
    ]
    return figures, notes, panels
