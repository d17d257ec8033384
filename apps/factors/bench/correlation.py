"""Correlation between factor series over time: `kernels.correlation.correlation_matrix` next to
`numpy.corrcoef` (complete series only: it has no notion of a gap) and `pandas.DataFrame.corr` (its
O(K² T) pairwise-complete loop, the reference the kernel equals), in one run, at K series x T
observations (default 1,000 x 2,520: ten years of daily data for a thousand factors).

Cases: complete series (the fast path), every series with 2% random gaps (the masked path at its
worst: all products masked), and 10% of the series starting a year late (only those need masked
products). Each figure is the median of `repeats` runs after one warm-up; pandas runs once per case
(its loop takes seconds). Before timing, the kernel's answer is checked against pandas' (notes)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from apps.platform.bench.figures import figure

from ..kernels.correlation import correlation_matrix

FULL = {"corr_series": 1000, "corr_observations": 2520, "corr_repeats": 5}
QUICK = {"corr_series": 40, "corr_observations": 200, "corr_repeats": 1}


def timed_ms(fn: Callable[[], object], repeats: int) -> float:
    fn()
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs) * 1e3


def cases(rng: np.random.Generator, k: int, t: int) -> dict[str, np.ndarray]:
    complete = rng.standard_normal((k, t)) + 0.3 * rng.standard_normal((1, t))
    random_gaps = complete.copy()
    random_gaps[rng.random(complete.shape) < 0.02] = np.nan
    late_starts = complete.copy()
    late_starts[: max(1, k // 10), : t // 10] = np.nan
    return {"complete": complete, "gaps_2pct": random_gaps, "late_starts_10pct": late_starts}


def measure(sizes: dict, progress: bool = False) -> tuple[list[dict], list[str]]:
    k, t, repeats = sizes["corr_series"], sizes["corr_observations"], sizes["corr_repeats"]
    figures, notes = [], []
    for name, x in cases(np.random.default_rng(0), k, t).items():
        frame = pd.DataFrame(x.T)
        start = time.perf_counter()
        reference = frame.corr().to_numpy()
        pandas_ms = (time.perf_counter() - start) * 1e3
        ours = correlation_matrix(x)
        worst = float(np.nanmax(np.abs(ours - reference)))
        notes.append(f"correlation {name}: largest difference from DataFrame.corr {worst:.1e}")
        kernel_ms = timed_ms(lambda x=x: correlation_matrix(x), repeats)
        figures.append(figure(f"correlation_ms[{name}]", kernel_ms, "ms", pandas_ms))
        if np.isfinite(x).all():
            figures.append(
                figure(
                    f"correlation_ms[{name}, numpy baseline]",
                    kernel_ms,
                    "ms",
                    timed_ms(lambda x=x: np.corrcoef(x), repeats),
                )
            )
    notes.append(
        f"correlation: {k} series x {t} observations; baseline pandas DataFrame.corr (one run) or "
        "np.corrcoef (complete series only); kernel the median of "
        f"{repeats} runs after a warm-up"
    )
    return figures, notes
