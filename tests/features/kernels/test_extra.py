"""The beyond-TA-Lib registry (kernels/extra.py) agrees with the kernels it names, and one lookup
(kernels/functions.py) answers TA-Lib names and extras alike."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from apps.features.kernels import liquidity, relative, returns, volatility
from apps.features.kernels.catalog import BadParameter, UnknownFunction
from apps.features.kernels.extra import EXTRA_KERNELS, EXTRA_NAMES, extra_spec
from apps.features.kernels.functions import feature_function, feature_params_resolve

BRIEF_NAMES = {
    "simple_returns", "log_returns", "close_to_close_volatility", "parkinson_volatility",
    "garman_klass_volatility", "rogers_satchell_volatility", "yang_zhang_volatility", "rolling_beta",
    "rolling_correlation", "adv", "dollar_volume", "amihud",
}  # fmt: skip


def test_the_registry_names_exactly_the_extra_kernels():
    assert set(EXTRA_NAMES) == BRIEF_NAMES
    modules = (returns, volatility, relative, liquidity)
    for name, fn in EXTRA_KERNELS.items():
        assert any(getattr(m, name, None) is fn for m in modules), name


@pytest.mark.parametrize("name", sorted(BRIEF_NAMES))
def test_inputs_and_parameters_match_the_kernels_signature(name):
    spec = extra_spec(name)
    sig = inspect.signature(EXTRA_KERNELS[name]).parameters
    names = list(sig)
    assert len(names) == len(spec.inputs) + len(spec.parameters)
    assert names[len(spec.inputs) :] == list(spec.param_names)
    for p in spec.parameters:  # the registry's default is the kernel's own where it has one
        if sig[p.name].default is not inspect.Parameter.empty:
            assert p.default == sig[p.name].default


@pytest.mark.parametrize("name", sorted(BRIEF_NAMES))
def test_every_kernel_runs_with_its_resolved_defaults(name):
    spec = extra_spec(name)
    rng = np.random.default_rng(0)
    t, n = 80, 3
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, (t, n)), axis=0))
    series = {
        "open": close * 0.999, "high": close * 1.01, "low": close * 0.99, "close": close,
        "volume": rng.uniform(1e5, 1e6, (t, n)), "returns": rng.normal(0, 0.01, (t, n)),
        "benchmark": rng.normal(0, 0.01, t),
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
