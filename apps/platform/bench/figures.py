"""What every platform bench figure is made of: the figure dict, percentiles, timing, progress bars."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import numpy as np
from tqdm import tqdm


def figure(name: str, value: float, unit: str, baseline: float | None = None) -> dict:
    out = {"name": name, "value": round(value, 4), "unit": unit}
    if baseline is not None:
        out["baseline"] = round(baseline, 4)
        out["ratio"] = round(value / baseline, 3) if baseline else None
    return out


def ms_percentiles(samples: list[float]) -> tuple[float, float]:
    p50, p99 = np.percentile(np.asarray(samples) * 1000.0, [50, 99])
    return float(p50), float(p99)


def progress_bar(progress: bool, total: int, desc: str) -> tqdm:
    return tqdm(total=total, desc=desc, disable=not progress, file=sys.stderr, leave=False)


def progress_steps(progress: bool, n: int, desc: str) -> tqdm:
    return tqdm(range(n), desc=desc, disable=not progress, file=sys.stderr, leave=False)


def timed(n: int, call: Callable[[int], None], bar: tqdm) -> list[float]:
    samples = []
    for i in range(n):
        t0 = time.perf_counter()
        call(i)
        samples.append(time.perf_counter() - t0)
        bar.update(1)
    bar.close()
    return samples
