"""The registry: canonical names, case-sensitive aliases, one operator per name, and every spec
well formed (doc, argument kinds, a kernel returning a fresh (T, N) float64 panel)."""

import re

import numpy as np
import pytest

from apps.factors.kernels.operators import OPERATORS, UNBOUNDED, OperatorSpec, operator_named
from apps.factors.kernels.operators.registry import _index
from apps.factors.kernels.operators.spec import Arg, no_lookback

CANONICAL = {
    "elementwise": "add sub mul div neg power abs sign log sqrt exp signed_power greater less "
    "gt ge lt le eq ne and or not if_else fill_nan",
    "time_series": "delay delta ts_mean ts_sum ts_std ts_var ts_skew ts_kurt ts_max ts_min ts_argmax "
    "ts_argmin ts_quantile ts_median ts_mad ts_rank ts_count ts_product ts_slope ts_rsquare ts_resi "
    "wma ema ts_corr ts_cov",
    "cross_section": "cs_rank cs_zscore cs_demean cs_scale cs_winsorize cs_bucket cs_neutralize cs_residual",
}

ALIASES = {
    # Qlib
    "Ref": "delay", "Mean": "ts_mean", "Sum": "ts_sum", "Std": "ts_std", "Var": "ts_var",
    "Skew": "ts_skew", "Kurt": "ts_kurt", "Max": "ts_max", "Min": "ts_min", "IdxMax": "ts_argmax",
    "IdxMin": "ts_argmin", "Quantile": "ts_quantile", "Med": "ts_median", "Mad": "ts_mad",
    "Rank": "ts_rank", "Count": "ts_count", "Delta": "delta", "Slope": "ts_slope",
    "Rsquare": "ts_rsquare", "Resi": "ts_resi", "WMA": "wma", "EMA": "ema", "Corr": "ts_corr",
    "Cov": "ts_cov", "Abs": "abs", "Sign": "sign", "Log": "log", "Power": "power",
    "Greater": "greater", "Less": "less", "Gt": "gt", "Ge": "ge", "Lt": "lt", "Le": "le", "Eq": "eq",
    "Ne": "ne", "And": "and", "Or": "or", "Not": "not", "If": "if_else",
    "Add": "add", "Sub": "sub", "Mul": "mul", "Div": "div",
    # the 101 alphas
    "rank": "cs_rank", "delay": "delay", "delta": "delta", "ref": "delay", "correlation": "ts_corr",
    "covariance": "ts_cov", "stddev": "ts_std", "scale": "cs_scale", "signedpower": "signed_power",
    "SignedPower": "signed_power", "decay_linear": "wma", "indneutralize": "cs_neutralize",
    "IndNeutralize": "cs_neutralize", "ts_min": "ts_min", "ts_max": "ts_max",
    "ts_argmax": "ts_argmax", "ts_argmin": "ts_argmin", "ts_rank": "ts_rank", "product": "ts_product",
    "sum": "ts_sum",
}  # fmt: skip


def test_canonical_names_and_categories():
    assert {n: s.category for n, s in OPERATORS.items()} == {
        name: category for category, names in CANONICAL.items() for name in names.split()
    }
    for name, spec in OPERATORS.items():
        assert spec.name == name and re.fullmatch(r"[a-z][a-z0-9_]*", name)


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_alias_resolves(alias):
    assert operator_named(alias) is OPERATORS[ALIASES[alias]]


def test_canonical_names_resolve_to_themselves():
    for name, spec in OPERATORS.items():
        assert operator_named(name) is spec


@pytest.mark.parametrize("name", ["min", "max", "RANK", "mean", "ts_Mean", "ref ", "", "Sqrt", "Scale"])
def test_unknown_or_ambiguous_names_do_not_resolve(name):
    assert operator_named(name) is None


def test_case_matters():
    assert operator_named("rank").name == "cs_rank"
    assert operator_named("Rank").name == "ts_rank"
    assert operator_named("sum").name == "ts_sum" and operator_named("Sum").name == "ts_sum"


def test_no_name_resolves_to_two_operators():
    names = [n for spec in OPERATORS.values() for n in spec.names()]
    assert len(names) == len(set(names))
    with pytest.raises(ValueError, match="'Mean' claimed by ts_mean and other"):
        clash = OperatorSpec(
            name="other",
            category="elementwise",
            args=(),
            kernel=lambda: None,
            lookback=no_lookback,
            aliases=("Mean",),
        )
        _index((OPERATORS["ts_mean"], clash))


def _arguments(spec: OperatorSpec, x, g):
    values = {"series": x, "number": 0.5, "window": 4, "group": g}
    args = [values[a.kind] for a in spec.args]
    return args + [x] if spec.variadic else args


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_spec_is_well_formed_and_its_kernel_returns_a_fresh_float64_panel(name):
    spec = OPERATORS[name]
    assert len(spec.doc) > 15 and "NaN" in spec.doc  # every doc states its NaN semantics
    assert all(isinstance(a, Arg) for a in spec.args) and spec.args[0].kind == "series"
    defaults = [a.default is not None for a in spec.args]
    assert defaults == sorted(defaults)  # defaults trailing only
    rng = np.random.default_rng(1)
    x = rng.normal(size=(12, 4))
    x[5, 1] = np.nan
    g = rng.integers(-1, 2, size=(12, 4))
    args = _arguments(spec, x, g)
    before = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    out = spec.kernel(*args)
    assert isinstance(out, np.ndarray) and out.dtype == np.float64 and out.shape == (12, 4)
    assert not np.isinf(out).any()
    assert not any(np.shares_memory(out, a) for a in args if isinstance(a, np.ndarray))
    for b, a in zip(before, args, strict=True):
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b)
    # a NaN input gives a NaN output at its place, but for these three by design
    assert np.isnan(out[5, 1]) != (name in ("ts_count", "fill_nan", "delay"))


def test_lookbacks():
    window = {"window": 20.0, "periods": 5.0, "span": 10.0, "q": 0.5, "e": 2.0, "a": 1.0, "k": 3.0}
    lookbacks = {n: s.lookback(window) for n, s in OPERATORS.items()}
    assert lookbacks["ema"] == UNBOUNDED
    assert lookbacks["delay"] == lookbacks["delta"] == 5
    for name, spec in OPERATORS.items():
        if spec.category == "time_series" and name not in ("ema", "delay", "delta"):
            assert lookbacks[name] == 19, name
        elif spec.category != "time_series":
            assert lookbacks[name] == 0, name


def test_only_cs_residual_is_variadic():
    assert [n for n, s in OPERATORS.items() if s.variadic] == ["cs_residual"]
