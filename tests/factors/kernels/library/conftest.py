"""A synthetic market shared by the library tests: 400 dates x 30 instruments.

Prices are positive random walks from close starting levels (40..60) with a realistic bar:
low < open, close < high, vwap strictly inside (low, high); volumes are whole shares; $cap is
close x a fixed share count. 30 names rather than a dozen, so that cross-sectional ranks move
from day to day: with few names far apart, rank(open) is constant for weeks and every rank
correlation over it is NaN. Groups, nested: 3 sectors (i % 3), 6 industries (i % 6), 12
subindustries (i % 12, 2 or 3 names each). Instrument GAP has no
bars at rows 150..154 (every series field NaN), so windows crossing the gap must be NaN.
400 rows: the longest 101-alphas windows (sum of returns over 250 days, correlation over 250 of
deltas) need ~252 rows before their first value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from apps.factors.kernels.expressions import compile_formula, evaluate
from apps.factors.kernels.library import fields_of
from apps.factors.kernels.operators import OPERATORS, operator_named

T, N = 400, 30
GAP = 5  # the instrument with missing bars
GAP_ROWS = slice(150, 155)
OPERATOR_NAMES = [name for spec in OPERATORS.values() for name in spec.names()]


def _market() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(158101)
    start = rng.uniform(40.0, 60.0, size=N)
    close = start * np.exp(np.cumsum(rng.normal(0.0003, 0.02, size=(T, N)), axis=0))
    previous = np.vstack([close[:1] * np.exp(rng.normal(0, 0.01, size=(1, N))), close[:-1]])
    open_ = previous * np.exp(rng.normal(0.0, 0.01, size=(T, N)))
    high = np.maximum(open_, close) * (1.0 + 0.001 + np.abs(rng.normal(0.0, 0.01, size=(T, N))))
    low = np.minimum(open_, close) * (1.0 - 0.001 - np.abs(rng.normal(0.0, 0.005, size=(T, N))))
    vwap = low + (high - low) * rng.uniform(0.2, 0.8, size=(T, N))
    volume = np.round(np.exp(rng.normal(13.0, 0.5, size=(T, N))))
    cap = close * rng.uniform(1e6, 1e8, size=N)
    series = {"open": open_, "high": high, "low": low, "close": close, "vwap": vwap, "volume": volume}
    series["cap"] = cap
    for values in series.values():
        values[GAP_ROWS, GAP] = np.nan
    names = np.arange(N)
    groups = {"sector": names % 3, "industry": names % 6, "subindustry": names % 12}
    panels: dict[str, np.ndarray] = dict(series)
    panels.update({name: np.broadcast_to(labels, (T, N)).astype(np.int64) for name, labels in groups.items()})
    return panels


@pytest.fixture(scope="session")
def market() -> dict[str, np.ndarray]:
    return _market()


@pytest.fixture(scope="session")
def frames(market) -> dict[str, pd.DataFrame]:
    """The series fields as (T, N) DataFrames and the group labels as one row per instrument."""
    out: dict[str, pd.DataFrame | pd.Series] = {
        name: pd.DataFrame(panel.copy()) for name, panel in market.items() if panel.dtype == np.float64
    }
    for name in ("sector", "industry", "subindustry"):
        out[name] = pd.Series(market[name][0])
    return out


def compile_library_formula(formula: str):
    return compile_formula(
        formula, operators=operator_named, fields=fields_of(formula), operator_names=OPERATOR_NAMES
    )


def evaluate_formula(formula: str, market: dict[str, np.ndarray]) -> np.ndarray:
    [values] = evaluate([compile_library_formula(formula)], fields=lambda name: market[name], shape=(T, N))
    return values
