"""The TA-Lib catalogue: complete, derived from TA-Lib, and its parameter checks.

References are TA-Lib's own: `talib.get_functions()`, `get_function_groups()`,
`abstract.Function(name)`, and TA-Lib's C functions rejecting out-of-range values (TA_BAD_PARAM).
"""

import numpy as np
import pytest
import talib
from talib import abstract

from apps.features.kernels.catalog import (
    BadParameter,
    FunctionSpec,
    ParamSpec,
    UnknownFunction,
    catalog,
    function_spec,
    groups,
    params_resolve,
)


def test_catalogue_has_every_talib_function_once():
    names = [spec.name for spec in catalog()]
    assert names == list(talib.get_functions())
    assert len(names) == len(set(names))
    assert all(isinstance(spec, FunctionSpec) for spec in catalog())


def test_each_group_and_its_members_match_talib():
    talib_groups = talib.get_function_groups()
    assert groups() == tuple(talib_groups)
    for group, members in talib_groups.items():
        assert {s.name for s in catalog() if s.group == group} == set(members), group


@pytest.mark.parametrize("name", talib.get_functions())
def test_spec_matches_abstract_metadata(name):
    spec = function_spec(name)
    fn = abstract.Function(name)
    assert {p.name: p.default for p in spec.parameters} == dict(fn.parameters)
    assert list(spec.outputs) == list(fn.output_names)
    assert spec.group == fn.info["group"]
    assert spec.display_name == fn.info["display_name"]
    for p in spec.parameters:
        assert p.minimum <= p.default <= p.maximum, (name, p)


def test_inputs_and_input_kind_for_known_shapes():
    # Written out from TA-Lib's documentation of each function's inputs.
    assert function_spec("CDLDOJI").inputs == ("open", "high", "low", "close")
    assert function_spec("CDLDOJI").input_kind == "price"
    assert function_spec("ATR").inputs == ("high", "low", "close")
    assert function_spec("AD").inputs == ("high", "low", "close", "volume")
    assert function_spec("RSI").inputs == ("close",)
    assert function_spec("RSI").input_kind == "real"  # a generic series, close by default
    assert function_spec("OBV").inputs == ("close", "volume")
    assert function_spec("OBV").input_kind == "real"
    assert function_spec("CORREL").inputs == ("high", "low")
    assert function_spec("MAVP").inputs == ("close", "periods")
    assert function_spec("BBANDS").outputs == ("upperband", "middleband", "lowerband")
    assert function_spec("MAMA").has_unstable_period
    assert not function_spec("SMA").has_unstable_period


def test_matype_choices_are_talibs_ma_types():
    ma = function_spec("MA").param("matype")
    assert ma.kind == "matype"
    assert {code for code, _ in ma.choices} == set(talib.MA_Type._lookup)
    assert dict(ma.choices)[0] == "SMA" and dict(ma.choices)[1] == "EMA"


def _integer_params():
    for spec in catalog():
        for p in spec.parameters:
            if p.kind == "integer":
                yield spec, p


def _call(spec: FunctionSpec, param: ParamSpec, value):
    n = 300
    x = np.linspace(10.0, 20.0, n) + np.sin(np.arange(n))
    series = {"open": x, "high": x + 1, "low": x - 1, "close": x + 0.5, "volume": x * 100, "periods": x}
    kwargs = {param.name: value}
    if spec.name == "MAVP":  # TA-Lib also requires minperiod <= maxperiod: move both together
        kwargs = {"minperiod": value, "maxperiod": value}
    getattr(talib, spec.name)(*(series[f] for f in spec.inputs), **kwargs)


def test_integer_ranges_are_the_ones_talib_enforces():
    """Every integer parameter: TA-Lib accepts the catalogue's minimum and rejects one below / above."""
    checked = 0
    for spec, p in _integer_params():
        _call(spec, p, p.minimum)
        with pytest.raises(Exception, match="TA_BAD_PARAM"):
            _call(spec, p, p.minimum - 1)
        with pytest.raises(Exception, match="TA_BAD_PARAM"):
            _call(spec, p, p.maximum + 1)
        checked += 1
    assert checked == sum(p.kind == "integer" for s in catalog() for p in s.parameters) > 100


def test_a_real_range_from_the_c_library():
    vfactor = function_spec("T3").param("vfactor")
    assert (vfactor.kind, vfactor.minimum, vfactor.maximum) == ("real", 0.0, 1.0)
    with pytest.raises(Exception, match="TA_BAD_PARAM"):
        talib.T3(np.linspace(1, 2, 100), vfactor=1.5)


def test_function_spec_is_case_insensitive():
    assert function_spec("rsi") is function_spec("RSI") is function_spec(" Rsi ")


def test_unknown_function_lists_close_names():
    with pytest.raises(UnknownFunction) as err:
        function_spec("RSII")
    assert isinstance(err.value, ValueError)
    assert "RSI" in err.value.close
    assert "RSI" in str(err.value)


def test_params_resolve_fills_defaults_in_talib_order():
    spec = function_spec("BBANDS")
    assert params_resolve(spec, {}) == {"timeperiod": 20, "nbdevup": 2.0, "nbdevdn": 2.0, "matype": 0}
    resolved = params_resolve(spec, {"TimePeriod": 10.0, "matype": 1})
    assert resolved == {"timeperiod": 10, "nbdevup": 2.0, "nbdevdn": 2.0, "matype": 1}
    assert type(resolved["timeperiod"]) is int
    assert params_resolve(function_spec("CDLDOJI"), None) == {}


def test_params_resolve_rejects_unknown_parameter_with_allowed_names():
    with pytest.raises(BadParameter) as err:
        params_resolve(function_spec("RSI"), {"period": 14})
    assert err.value.field == "period"
    assert err.value.allowed == ("timeperiod",)
    assert "timeperiod" in str(err.value)


@pytest.mark.parametrize(
    ("name", "given", "field", "says"),
    [
        ("RSI", {"timeperiod": 1}, "timeperiod", "[2, 100000]"),
        ("RSI", {"timeperiod": 100001}, "timeperiod", "[2, 100000]"),
        ("T3", {"vfactor": 1.5}, "vfactor", "[0.0, 1.0]"),
        ("MAMA", {"fastlimit": 0.0}, "fastlimit", "[0.01, 0.99]"),
        ("MA", {"matype": 99}, "matype", "SMA"),
        ("MA", {"matype": -1}, "matype", "EMA"),
    ],
)
def test_params_resolve_rejects_out_of_range(name, given, field, says):
    with pytest.raises(BadParameter) as err:
        params_resolve(function_spec(name), given)
    assert err.value.field == field
    assert says in str(err.value)


def test_params_resolve_rejects_a_combination_talib_rejects():
    # Each value is in its own range, but TA-Lib's MAVP needs minperiod <= maxperiod.
    assert talib.MAVP(np.linspace(1, 2, 50), np.full(50, 5.0), minperiod=3, maxperiod=4)[-1] > 0
    with pytest.raises(Exception, match="TA_BAD_PARAM"):
        talib.MAVP(np.linspace(1, 2, 50), np.full(50, 5.0), minperiod=10, maxperiod=4)
    with pytest.raises(BadParameter) as err:
        params_resolve(function_spec("MAVP"), {"minperiod": 10, "maxperiod": 4})
    assert err.value.field == "minperiod"
    assert "maxperiod=4" in str(err.value)


@pytest.mark.parametrize(
    ("name", "given", "field"),
    [
        ("RSI", {"timeperiod": "14"}, "timeperiod"),
        ("RSI", {"timeperiod": 14.5}, "timeperiod"),
        ("RSI", {"timeperiod": True}, "timeperiod"),
        ("RSI", {"timeperiod": None}, "timeperiod"),
        ("T3", {"vfactor": "0.7"}, "vfactor"),
        ("T3", {"vfactor": float("nan")}, "vfactor"),
        ("MA", {"matype": 1.5}, "matype"),
    ],
)
def test_params_resolve_rejects_wrong_types(name, given, field):
    with pytest.raises(BadParameter) as err:
        params_resolve(function_spec(name), given)
    assert err.value.field == field
    assert isinstance(err.value, ValueError)
