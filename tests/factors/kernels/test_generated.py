"""The generated catalogue: more than 380,000 entries, each name unique and parsed back to its own
number, every sampled formula compiles against the real registry and evaluates, and entries mean
what their names say (checked against pandas)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from apps.factors.kernels.expressions import compile_formula, evaluate
from apps.factors.kernels.generated import ECONOMIC, FAMILY_SIZES, GENERATED_COUNT, generated, generated_named
from apps.factors.kernels.operators import OPERATORS, operator_named

NAMES = tuple(n for s in OPERATORS.values() for n in s.names())
FIELDS = {
    **{k: "series" for k in ("open", "high", "low", "close", "volume", "vwap")},
    **{f"econ.{code}": "series" for code in ECONOMIC},
}


def _compile(formula: str):
    return compile_formula(formula, operators=operator_named, fields=FIELDS, operator_names=NAMES)


@pytest.fixture(scope="module")
def panel():
    rng = np.random.default_rng(3)
    T, N = 300, 6
    close = 50 * np.exp(np.cumsum(rng.normal(0, 0.01, (T, N)), axis=0))
    open_ = close * np.exp(rng.normal(0, 0.003, (T, N)))
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.004, (T, N))))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.004, (T, N))))
    econ = {  # one value per date, the same for every instrument (as the field is broadcast)
        f"econ.{code}": np.repeat(3 + np.cumsum(rng.normal(0, 0.05, (T, 1)), axis=0), N, axis=1)
        for code in ECONOMIC
    }
    return {
        "open": open_,
        "high": high,
        "low": low,
        "close": close,
        "volume": rng.lognormal(12, 0.4, (T, N)),
        "vwap": (high + low + close) / 3,
        **econ,
    }


def test_more_than_380000_entries_with_unique_names_that_parse_back():
    assert GENERATED_COUNT == sum(FAMILY_SIZES.values()) >= 380_000
    names = set()
    for i in range(0, GENERATED_COUNT, 7):  # every 7th: all families, inputs and normalizations
        entry = generated(i)
        assert entry.name not in names
        names.add(entry.name)
        assert generated_named(entry.name).index == i
    with pytest.raises(IndexError):
        generated(GENERATED_COUNT)
    for bad in (
        "gen.ts_mean.close.w21.raw",
        "gen.nope.close.w20.raw",
        "alpha158.KMID",
        "gen.ts_mean.close.w020.raw",
    ):
        with pytest.raises(KeyError):
            generated_named(bad)


def test_a_sample_of_every_family_compiles_and_evaluates(panel):
    rng = np.random.default_rng(0)
    starts = np.cumsum([0, *FAMILY_SIZES.values()])
    sample = [
        int(i) for lo, hi in zip(starts[:-1], starts[1:], strict=True) for i in rng.integers(lo, hi, 40)
    ]
    checked = [_compile(generated(i).formula) for i in sample]
    results = evaluate(checked, fields=lambda n: panel[n], shape=panel["close"].shape)
    rows = panel["close"].shape[0]
    for i, formula, values in zip(sample, checked, results, strict=True):
        assert values.shape == panel["close"].shape, generated(i).name
        if formula.lookback < rows - 5:  # enough history: values after the warm-up
            assert np.isfinite(values[formula.lookback :]).any(), generated(i).name


def test_entries_mean_what_their_names_say(panel):
    close, volume = pd.DataFrame(panel["close"]), pd.DataFrame(panel["volume"])
    mean20 = close.rolling(20).mean()
    cases = {
        "gen.ts_mean.close.w20.by_close": mean20 / close,
        "gen.ts_mean.close.w20.rank": mean20.rank(axis=1, pct=True),
        "gen.ts_mean.close.w20.ts_z": (mean20 - mean20.rolling(20).mean()) / mean20.rolling(20).std(),
        "gen.ts_corr.close.volume.w10.raw": close.rolling(10).corr(volume),
        "gen.cross_mean.close.w5.w20.raw": close.rolling(5).mean() / mean20 - 1,
        "gen.econ_corr.DGS10.chg.w20.raw": (close / close.shift(1) - 1)
        .rolling(20)
        .corr(pd.DataFrame(panel["econ.DGS10"]).diff()),
    }
    checked = [_compile(generated_named(name).formula) for name in cases]
    results = evaluate(checked, fields=lambda n: panel[n], shape=panel["close"].shape)
    for (name, expected), got in zip(cases.items(), results, strict=True):
        np.testing.assert_allclose(got, expected.to_numpy(), rtol=1e-9, atol=1e-12, err_msg=name)
