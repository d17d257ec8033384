"""`manage.py bench analytics`: every metric for `portfolios × periods` daily returns in one
vectorized pass (`kernels.metrics.compute_metrics` with a benchmark), next to a per-portfolio loop over
QuantStats (empyrical for the capture ratios and historical VaR/CVaR, which QuantStats lacks or
computes parametrically) in the same run.

The QuantStats loop is slow (tens of ms per portfolio), so it runs on `qs_portfolios` of the same
portfolios and its rate is per portfolio (the loop is linear in the count); the result says so. The
same subset checks that both sides agree: the largest relative difference over the shared figures.
Nothing touches the database.
"""

from __future__ import annotations

import statistics
import sys
import time
import warnings

import numpy as np
import pandas as pd
from django.conf import settings
from tqdm import tqdm

from ..kernels.metrics import compute_metrics
from ..kernels.threads import pool_threads, threads_configure
from .latency import calculate_latency

FULL = {
    "portfolios": 1000,
    "periods": 2520,
    "qs_portfolios": 50,
    "repeats": 5,
    "api_positions": 50,
    "api_requests": 200,
}
QUICK = {
    "portfolios": 50,
    "periods": 252,
    "qs_portfolios": 3,
    "repeats": 2,
    "api_positions": 3,
    "api_requests": 3,
}
TARGET_SETS_PER_S = 15_000
TARGET_RATIO = 50
PPY = 252

# Figures both sides compute, for the agreement check: kernel name → reference name.
SHARED = ("total_return", "cagr", "volatility", "sharpe", "sortino", "calmar", "omega", "max_drawdown")
SHARED += ("skew", "kurtosis", "var", "cvar", "best", "worst", "win_rate", "alpha", "beta")
SHARED += ("up_capture", "down_capture")


def run(*, quick: bool = False, progress: bool = True, **params) -> dict:
    sizes = {**(QUICK if quick else FULL), **{k: int(v) for k, v in params.items() if k in FULL}}
    sizes["qs_portfolios"] = min(sizes["qs_portfolios"], sizes["portfolios"])
    returns, benchmark, index = _market(sizes["portfolios"], sizes["periods"])
    threads_configure(getattr(settings, "ANALYTICS_KERNEL_THREADS", None))  # as the selectors size it

    compute_metrics(returns[:2], periods_per_year=PPY, benchmark=benchmark)  # warm-up (thread pool)
    times = []
    for _ in tqdm(range(sizes["repeats"]), desc="vectorized", file=sys.stderr, disable=not progress):
        start = time.perf_counter()
        ours = compute_metrics(returns, periods_per_year=PPY, benchmark=benchmark)
        times.append(time.perf_counter() - start)
    vector_s = statistics.median(times)
    vector_rate = sizes["portfolios"] / vector_s

    k = sizes["qs_portfolios"]
    bench_series = pd.Series(benchmark, index=index)
    reference = []
    start = time.perf_counter()
    for i in tqdm(range(k), desc="quantstats loop", file=sys.stderr, disable=not progress):
        reference.append(_quantstats_set(pd.Series(returns[i], index=index), bench_series))
    qs_s = time.perf_counter() - start
    qs_rate = k / qs_s

    worst_name, worst_diff = _agreement(ours, reference)
    notes = [
        f"vectorized: median of {sizes['repeats']} runs over {sizes['portfolios']} portfolios x "
        f"{sizes['periods']} daily returns, every metric incl. the benchmark ones, on {pool_threads()} "
        "kernel threads (ANALYTICS_KERNEL_THREADS; default the cores this process may use)",
        f"QuantStats loop timed on {k} of the same portfolios and expressed per portfolio "
        f"(scaled: {sizes['portfolios']} portfolios would take ~{sizes['portfolios'] / qs_rate:.1f} s)",
        f"agreement on the {k} shared portfolios: largest relative difference {worst_diff:.2e} ({worst_name})",
        f"targets: >= {TARGET_SETS_PER_S:,} portfolio metric sets/s and >= {TARGET_RATIO}x the QuantStats loop",
    ]
    figures = [
        _figure("metric_sets_per_s", vector_rate, "portfolios/s", qs_rate),
        _figure("vectorized_seconds", vector_s, "s"),
        _figure("quantstats_loop_sets_per_s", qs_rate, "portfolios/s"),
    ]
    api = calculate_latency(positions=sizes["api_positions"], requests=sizes["api_requests"])
    figures += [
        _figure("api_calculate_p50_ms", api["calculate_p50_ms"], "ms", api["read_p50_ms"]),
        _figure("api_calculate_p99_ms", api["calculate_p99_ms"], "ms", api["read_p99_ms"]),
    ]
    notes.append(
        f"API: POST calculate on a {sizes['api_positions']}-position portfolio, {sizes['api_requests']} "
        "requests; baseline GET of the same portfolio's detail (target p99 < 100 ms)"
    )
    return {"engine": "analytics", "sizes": sizes, "notes": notes, "figures": figures}


def _figure(name: str, value: float, unit: str, baseline: float | None = None) -> dict:
    # Six significant digits: a quick run's seconds are small numbers.
    out = {"name": name, "value": float(f"{value:.6g}"), "unit": unit}
    if baseline is not None:
        out["baseline"] = float(f"{baseline:.6g}")
        out["ratio"] = round(value / baseline, 3) if baseline else None
    return out


def _market(portfolios: int, periods: int) -> tuple[np.ndarray, np.ndarray, pd.DatetimeIndex]:
    """One market factor plus idiosyncratic noise: portfolios with betas around 1 and fat-ish tails."""
    rng = np.random.default_rng(4)
    market = rng.standard_t(5, periods) * 0.008 + 0.0003
    beta = rng.uniform(0.5, 1.5, (portfolios, 1))
    noise = rng.normal(0.0, 0.006, (portfolios, periods))
    index = pd.bdate_range("2010-01-04", periods=periods)
    return beta * market + noise, market, index


def _quantstats_set(r: pd.Series, b: pd.Series) -> dict:
    import empyrical
    import quantstats as qs

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        greeks = qs.stats.greeks(r, b, periods=PPY)
        return {
            "total_return": qs.stats.comp(r),
            "cagr": qs.stats.cagr(r, periods=PPY),
            "volatility": qs.stats.volatility(r, periods=PPY),
            "sharpe": qs.stats.sharpe(r, periods=PPY),
            "sortino": qs.stats.sortino(r, periods=PPY),
            "calmar": qs.stats.calmar(r, periods=PPY),
            "omega": qs.stats.omega(r, periods=PPY),
            "max_drawdown": qs.stats.max_drawdown(r),
            # The kernel's drawdown peak/trough/recovery/duration: QuantStats' drawdown table.
            "drawdown_details": qs.stats.drawdown_details(qs.stats.to_drawdown_series(r)),
            "skew": qs.stats.skew(r),
            "kurtosis": qs.stats.kurtosis(r),
            "var": empyrical.value_at_risk(r.to_numpy()),
            "cvar": empyrical.conditional_value_at_risk(r.to_numpy()),
            "best": qs.stats.best(r),
            "worst": qs.stats.worst(r),
            "win_rate": qs.stats.win_rate(r),
            "alpha": greeks["alpha"],
            "beta": greeks["beta"],
            "information_ratio": qs.stats.information_ratio(r, b),
            "up_capture": empyrical.up_capture(r, b),
            "down_capture": empyrical.down_capture(r, b),
        }


def _agreement(ours: dict, reference: list[dict]) -> tuple[str, float]:
    worst = ("", 0.0)
    for i, ref in enumerate(reference):
        for name in SHARED:
            a, b = float(ours[name][i]), float(ref[name])
            diff = abs(a - b) / max(abs(b), 1e-12)
            if diff > worst[1]:
                worst = (name, diff)
    return worst
