"""The whole Alpha158 set over 500 instruments x 2,520 days (ten years) in memory, cold (every
operator computed once, shared sub-expressions once across the 158) and warm (a cache already
holding them: lookups); and screening throughput on the generated catalogue (factors evaluated and
scored by daily rank IC per second, a universe of 100 x 250 days, the screen's own batching).

No baseline runs here: Qlib's own figure for Alpha158 is the reference its users quote (~170 s for
~600 instruments); the numbers per formula are checked against pandas in tests/factors/kernels/library.
"""

from __future__ import annotations

import time

from apps.platform.bench.figures import figure, progress_steps

from ..kernels.analysis import forward_returns
from ..kernels.analysis.ic import ic_summary
from ..kernels.expressions import PanelCache, evaluate
from ..kernels.generated import generated
from ..kernels.library import LIBRARY
from ..kernels.screen import rank_ic_scores
from ..selectors.evaluation import formula_compile
from .alpha_mix import synthetic_panels

FULL = {
    "alpha_instruments": 500,
    "alpha_dates": 2520,
    "screen_instruments": 100,
    "screen_dates": 250,
    "screen_count": 2000,
}
QUICK = {
    "alpha_instruments": 20,
    "alpha_dates": 260,
    "screen_instruments": 20,
    "screen_dates": 120,
    "screen_count": 100,
}
CACHE_BYTES = 16 << 30


def _alpha158(sizes: dict, steps) -> tuple[list[dict], list[str]]:
    n, t = sizes["alpha_instruments"], sizes["alpha_dates"]
    panels = synthetic_panels(t, n)
    trees = [formula_compile(f) for f in LIBRARY["alpha158"].values()]
    cache = PanelCache(CACHE_BYTES)
    t0, c0 = time.perf_counter(), time.process_time()
    evaluate(trees, fields=panels.__getitem__, shape=(t, n), cache=cache, context="alpha158")
    cold, cold_cpu = time.perf_counter() - t0, time.process_time() - c0
    steps.update(1)
    t0 = time.perf_counter()
    evaluate(trees, fields=panels.__getitem__, shape=(t, n), cache=cache, context="alpha158")
    warm = time.perf_counter() - t0
    steps.update(1)
    figures = [
        figure("alpha158_s[cold]", cold, "s"),
        figure("alpha158_s[warm, cache hits]", warm, "s"),
    ]
    return figures, [
        f"alpha158: all {len(trees)} factors over {n} instruments x {t} days, in memory; cold: "
        f"{cold:.1f} s wall, {cold_cpu:.1f} s CPU (user + system) of this process"
    ]


def _screening(sizes: dict, steps) -> tuple[list[dict], list[str]]:
    n, t, count = sizes["screen_instruments"], sizes["screen_dates"], sizes["screen_count"]
    panels = synthetic_panels(t, n, seed=11)
    fwd = forward_returns(panels["close"], [1])
    t0 = time.perf_counter()
    trees = [formula_compile(generated(i).formula) for i in range(count)]
    compiled = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    ics, _row = rank_ic_scores(trees, fields=panels.__getitem__, shape=(t, n), window=slice(None), fwd=fwd[0])
    ic_summary(ics)
    scored, scored_cpu = time.perf_counter() - t0, time.process_time() - c0
    steps.update(1)
    figures = [
        figure("screening_factors_per_s", count / scored, "factors/s"),
        figure("screening_compile_per_s", count / compiled, "formulas/s"),
    ]
    return figures, [
        f"screening: the first {count} generated factors over {n} instruments x {t} days, each scored by its "
        "daily rank IC as the screen does (kernels/screen.py: an order-keeping outer map such as cs_rank "
        "scored once with its inner formula, batches of 200 sharing sub-expressions, each batch's ICs in one pass)",
        f"screening: {scored:.2f} s wall, {scored_cpu:.2f} s CPU (user + system) of this process",
    ]


def measure(sizes: dict, progress: bool = False) -> tuple[list[dict], list[str]]:
    steps = progress_steps(progress, 3, "alpha158 cold, warm; screening")
    alpha_figures, alpha_notes = _alpha158(sizes, steps)
    screen_figures, screen_notes = _screening(sizes, steps)
    steps.close()
    return alpha_figures + screen_figures, alpha_notes + screen_notes
