"""Timing of `kernels.correlation.correlation_matrix` next to `numpy.corrcoef` and
`pandas.DataFrame.corr` at 1,000 series x 2,520 observations (ten years of daily data), in one run.

Not a test (no assertion) and not yet part of `manage.py bench factors`; run it from the repository
root: `python -m apps.factors.bench.correlation`. Cases: complete series (the fast path), every
series with 2% random gaps (the masked path at its worst: all products masked), and 10% of the
series starting a year late (only those need masked products). Each figure is the median of
REPEATS runs after one warm-up; pandas runs once per case (its loop takes seconds).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from ..kernels.correlation import correlation_matrix

K, T, REPEATS = 1000, 2520, 5


def timed(fn: Callable[[], object], repeats: int = REPEATS) -> float:
    fn()
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs) * 1e3


def cases(rng: np.random.Generator) -> dict[str, np.ndarray]:
    complete = rng.standard_normal((K, T)) + 0.3 * rng.standard_normal((1, T))
    random_gaps = complete.copy()
    random_gaps[rng.random(complete.shape) < 0.02] = np.nan
    late_starts = complete.copy()
    late_starts[: K // 10, :252] = np.nan
    return {
        "complete": complete,
        "2% random gaps, all series": random_gaps,
        "10% series start late": late_starts,
    }


def main() -> None:
    print(f"correlation_matrix, K={K} series x T={T}; cpus={os.cpu_count()}, load average {os.getloadavg()}")
    for name, x in cases(np.random.default_rng(0)).items():
        ours = timed(lambda x=x: correlation_matrix(x))
        line = f"  {name:28s} kernel {ours:8.1f} ms"
        if np.isfinite(x).all():
            line += f" | np.corrcoef {timed(lambda x=x: np.corrcoef(x)):8.1f} ms"
        frame = pd.DataFrame(x.T)
        line += f" | DataFrame.corr {timed(frame.corr, repeats=1):8.1f} ms"
        print(line)


if __name__ == "__main__":
    main()
