"""The beyond-TA-Lib registry (kernels/extra.py) agrees with the kernels it names, and one lookup
(kernels/functions.py) answers TA-Lib names and extras alike and lists them all (the catalogue)."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from apps.features.kernels import fundamentals, liquidity, relative, returns, volatility
from apps.features.kernels.catalog import BadParameter, UnknownFunction, catalog
from apps.features.kernels.extra import EXTRA_KERNELS, EXTRA_NAMES, extra_spec
from apps.features.kernels.functions import (
    feature_catalog,
    feature_compute,
    feature_function,
    feature_params_resolve,
    fundamental_fields,
)

BRIEF_NAMES = {
    "simple_returns", "log_returns", "close_to_close_volatility", "parkinson_volatility",
    "garman_klass_volatility", "rogers_satchell_volatility", "yang_zhang_volatility", "rolling_beta",
    "rolling_correlation", "adv", "dollar_volume", "amihud",
}  # fmt: skip
FUNDAMENTAL_NAMES = {"price_to_earnings", "price_to_book", "earnings_yield", "dividend_yield"}
ALL_NAMES = BRIEF_NAMES | FUNDAMENTAL_NAMES


def test_the_registry_names_exactly_the_extra_kernels():
    assert set(EXTRA_NAMES) == ALL_NAMES
    modules = (returns, volatility, relative, liquidity, fundamentals)
    for name, fn in EXTRA_KERNELS.items():
        assert any(getattr(m, name, None) is fn for m in modules), name


@pytest.mark.parametrize("name", sorted(ALL_NAMES))
def test_inputs_and_parameters_match_the_kernels_signature(name):
    spec = extra_spec(name)
    sig = inspect.signature(EXTRA_KERNELS[name]).parameters
    names = list(sig)
    assert len(names) == len(spec.inputs) + len(spec.parameters)
    assert names[len(spec.inputs) :] == list(spec.param_names)
    for p in spec.parameters:  # the registry's default is the kernel's own where it has one
        if sig[p.name].default is not inspect.Parameter.empty:
            assert p.default == sig[p.name].default


@pytest.mark.parametrize("name", sorted(ALL_NAMES))
def test_every_kernel_runs_with_its_resolved_defaults(name):
    spec = extra_spec(name)
    rng = np.random.default_rng(0)
    t, n = 80, 3
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, (t, n)), axis=0))
    series = {
        "open": close * 0.999, "high": close * 1.01, "low": close * 0.99, "close": close,
        "volume": rng.uniform(1e5, 1e6, (t, n)), "returns": rng.normal(0, 0.01, (t, n)),
        "benchmark": rng.normal(0, 0.01, t), "fundamental:eps": rng.uniform(1, 5, (t, n)),
        "fundamental:book_value": rng.uniform(10, 50, (t, n)),
        "fundamental:dividend_per_share": rng.uniform(0.5, 2, (t, n)),
    }  # fmt: skip
    out = EXTRA_KERNELS[name](*(series[i] for i in spec.inputs), **feature_params_resolve(spec, {}))
    assert out.shape == (t, n) and np.isfinite(out[-1]).all()


def test_minimum_windows_follow_the_kernels_checks():
    # A sample variance needs two bars: the registry refuses window=1 before the kernel would.
    with pytest.raises(BadParameter) as err:
        feature_params_resolve(extra_spec("yang_zhang_volatility"), {"window": 1})
    assert err.value.field == "window"
    with pytest.raises(ValueError):
        volatility.yang_zhang_volatility(*([np.ones((5, 1))] * 4), window=1)
    assert feature_params_resolve(extra_spec("adv"), {"window": 1}) == {"window": 1}


def test_one_lookup_for_talib_and_extras():
    assert feature_function("rsi").name == "RSI"
    assert feature_function("Log_Returns").name == "log_returns"
    assert feature_params_resolve(feature_function("RSI"), {"timeperiod": 7}) == {"timeperiod": 7}
    with pytest.raises(UnknownFunction) as err:
        feature_function("amihd")
    assert "amihud" in err.value.close
    with pytest.raises(BadParameter) as err:
        feature_params_resolve(feature_function("adv"), {"timeperiod": 5})
    assert err.value.field == "timeperiod" and err.value.allowed == ("window",)


def test_the_catalogue_lists_talib_then_the_extras_with_the_fundamental_ratios_and_their_fields():
    listed = feature_catalog()
    assert listed[: len(catalog())] == catalog()
    extras = {spec.name: spec for spec in listed[len(catalog()) :]}
    assert set(extras) == ALL_NAMES
    fundamental = {name for name, spec in extras.items() if spec.group == "Fundamentals"}
    assert fundamental == FUNDAMENTAL_NAMES
    assert {name: fundamental_fields(extras[name]) for name in sorted(fundamental)} == {
        "dividend_yield": ("dividend_per_share",),
        "earnings_yield": ("eps",),
        "price_to_book": ("book_value",),
        "price_to_earnings": ("eps",),
    }
    pe = extras["price_to_earnings"]
    assert (pe.inputs, pe.input_kind, pe.parameters, pe.outputs) == (
        ("close", "fundamental:eps"),
        "fundamental",
        (),
        ("real",),
    )
    assert extras["rolling_beta"].group == "Beyond TA-Lib" and fundamental_fields(extras["adv"]) == ()


def test_compute_takes_the_aligned_fundamental_panel_and_names_a_missing_input():
    spec = feature_function("price_to_earnings")
    close, eps = np.array([[10.0], [12.0]]), np.array([[np.nan], [2.0]])
    got = feature_compute(spec, {}, {"close": close, "fundamental:eps": eps})["real"]
    np.testing.assert_array_equal(got, [[np.nan], [6.0]])
    with pytest.raises(ValueError, match="missing: fundamental:eps"):
        feature_compute(spec, {}, {"close": close})
