from __future__ import annotations

import hashlib

import pytest

from apps.factors.kernels.expressions import (
    Apply,
    Const,
    FieldRef,
    FormulaError,
    check,
    compile_formula,
    fields_used,
    lookback,
    parse,
    rows_needed,
)
from apps.factors.kernels.operators.spec import UNBOUNDED

from .registry_fixture import BARE_101_FIELDS, FIELDS, OPERATOR_NAMES, SPECS, lookup_for, operator_named


def checked(text: str, **kwargs):
    return compile_formula(
        text, operators=operator_named, fields=FIELDS, operator_names=OPERATOR_NAMES, **kwargs
    )


def error_of(text: str, **kwargs) -> FormulaError:
    with pytest.raises(FormulaError) as raised:
        checked(text, **kwargs)
    return raised.value


# -- canonical keys ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("ts_mean($close, 20)", "ts_mean($close,20)"),
        ("$close * 0.5", "mul($close,0.5)"),
        ("-1 * $close", "mul(-1,$close)"),
        ("--2 + $close", "add(2,$close)"),
        ("$close / 1e-3", "div($close,0.001)"),
        ("$close ^ 2.0", "power($close,2)"),
        ("-$close", "neg($close)"),
        ("!($close > $open)", "not(gt($close,$open))"),
        ("($close > $open) ? $volume : -$volume", "if_else(gt($close,$open),$volume,neg($volume))"),
        ("rank(ts_mean($f.rsi_14, 9.5))", "cs_rank(ts_mean($f.rsi_14,9))"),
        ("cs_neutralize($close, $sector)", "cs_neutralize($close,$sector)"),
        ("5", "5"),
    ],
)
def test_keys_are_canonical(text, key):
    tree = checked(text)
    assert tree.key == key
    assert tree.digest == hashlib.sha1(key.encode()).hexdigest()


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Mean($close,5)", "ts_mean($close, 5.0)"),
        ("sma( $close ,5.9)", "ts_mean($close,5)"),
        ("Ref($close, 5)/$close - 1", "delay($close,5) / $close - 1"),
        ("TS_MEAN($close, 5)", "ts_mean($close, 5)"),
        ("(($close))", "$close"),
        ("ts_sum($close)", "ts_sum($close, 5)"),
        ("scale($close)", "scale($close, 2.0)"),
        ("SignedPower($close, -2)", "signed_power($close, -(2))"),
    ],
)
def test_equivalent_spellings_share_a_key(one, other):
    assert checked(one).key == checked(other).key
    assert checked(one).digest == checked(other).digest


def test_aliases_resolve_to_the_canonical_spec():
    root = checked("Mean($close, 5)").root
    assert isinstance(root, Apply)
    assert root.spec.name == "ts_mean"
    assert root.kinds == ("series", "window")
    assert isinstance(root.args[0], FieldRef) and root.args[0].kind == "series"
    assert isinstance(root.args[1], Const) and root.args[1].value == 5 and isinstance(root.args[1].value, int)


# -- arity ---------------------------------------------------------------------------------------


def test_too_few_arguments_points_at_the_call():
    error = error_of("1 + ts_mean($close)")
    assert "ts_mean(x, window) takes 2 arguments, got 1" in error.message
    assert (error.position, error.length) == (4, 15)


def test_too_many_arguments_points_at_the_extra_ones():
    error = error_of("ts_mean($close, 5, 6, 7)")
    assert "takes 2 arguments, got 4" in error.message
    assert (error.position, error.length) == (19, 4)


def test_defaults_fill_trailing_arguments_and_are_in_the_message():
    error = error_of("ts_sum($close, 5, 6)")
    assert "ts_sum(x, window=5) takes 1 to 2 arguments, got 3" in error.message
    root = checked("ts_sum($close)").root
    assert [arg.key for arg in root.args] == ["$close", "5"]


def test_variadic_last_argument_repeats_at_least_once():
    error = error_of("cs_residual($close)")
    assert "cs_residual(y, x...) takes at least 2 arguments, got 1" in error.message
    root = checked("cs_residual($close, $open, $volume, 1)").root
    assert root.kinds == ("series",) * 4
    assert root.key == "cs_residual($close,$open,$volume,1)"


# -- argument kinds ------------------------------------------------------------------------------


@pytest.mark.parametrize(("window", "rows"), [("2.7", 2), ("1", 1), ("9.5", 9), ("1.99", 1), ("250", 250)])
def test_windows_are_floored(window, rows):
    root = checked(f"ts_mean($close, {window})").root
    assert root.args[1].value == rows


@pytest.mark.parametrize("window", ["0", "-1", "0.5", "-(3)"])
def test_windows_below_one_row_are_refused(window):
    error = error_of(f"ts_mean($close, {window})")
    assert "window 'window' of ts_mean must be at least 1 row" in error.message
    assert error.position == len("ts_mean($close, ")


@pytest.mark.parametrize("window", ["$open", "1 + 1", "ts_mean($open, 2)", "$a ? 1 : 2"])
def test_a_window_must_be_written_as_a_number(window):
    error = error_of(f"ts_mean($close, {window})")
    assert "argument 'window' of ts_mean must be a number written in the formula" in error.message
    assert error.position == len("ts_mean($close, ")


def test_number_arguments_accept_negated_literals_only():
    root = checked("signed_power($close, -0.5)").root
    assert root.args[1].value == -0.5 and root.kinds[1] == "number"
    error = error_of("signed_power($close, $open)")
    assert "argument 'exponent' of signed_power must be a number" in error.message
    assert error.position == 21


def test_a_series_argument_accepts_a_number():
    root = checked("ts_mean(3, 2) + $close").root
    assert isinstance(root.args[0].args[0], Const)
    assert root.args[0].args[0].value == 3.0


def test_group_argument_must_be_a_group_field():
    root = checked("cs_neutralize($close, $sector)").root
    assert root.kinds == ("series", "group") and root.args[1].kind == "group"
    for bad, position in [("$open", 22), ("1", 22), ("cs_rank($close)", 22)]:
        error = error_of(f"cs_neutralize($close, {bad})")
        assert (
            "argument 'group' of cs_neutralize must be a group field (group fields: $sector)" in error.message
        )
        assert error.position == position


def test_a_group_field_used_as_a_series_is_an_error():
    error = error_of("1 + ts_mean($sector, 3)")
    assert "$sector is a group field" in error.message
    assert (error.position, error.length) == (12, 7)
    assert "$sector is a group field" in error_of("$sector").message


# -- unknown names -------------------------------------------------------------------------------


def test_unknown_operator_lists_close_matches():
    error = error_of("1 + ts_meen($close, 5)")
    assert error.message.startswith("unknown operator 'ts_meen'; did you mean ts_mean")
    assert (error.position, error.length) == (4, 7)


def test_unknown_operator_without_names_has_no_suggestion():
    with pytest.raises(FormulaError) as raised:
        compile_formula("nope($close)", operators=operator_named, fields=FIELDS)
    assert raised.value.message == "unknown operator 'nope'"


def test_an_infix_operator_missing_from_the_registry_points_at_the_symbol():
    without_power = lookup_for([s for s in SPECS if s.name != "power"])
    with pytest.raises(FormulaError) as raised:
        compile_formula("$close ^ 2", operators=without_power, fields=FIELDS)
    assert "'^' needs the operator power, which is not available" in raised.value.message
    assert raised.value.position == 7


def test_unknown_field_lists_close_and_known_fields():
    error = error_of("ts_mean($clos, 5)")
    assert "unknown field $clos; did you mean $close?" in error.message
    assert "known fields: $close, $f.rsi_14, $high, $low, $open, $sector, $volume, $vwap" in error.message
    assert (error.position, error.length) == (8, 5)


def test_errors_from_the_checker_carry_the_formula_for_the_caret():
    error = error_of("ts_mean($close, $open)")
    assert error.caret() == "ts_mean($close, $open)\n                ^^^^^"


def test_check_on_a_parsed_tree_with_bare_fields():
    tree = parse("rank(close) - IndNeutralize(returns, sector)", bare_fields=True)
    result = check(tree, operators=operator_named, fields=BARE_101_FIELDS)
    assert result.key == "sub(cs_rank($close),cs_neutralize($returns,$sector))"
    assert result.source == ""
    with pytest.raises(FormulaError, match="unknown field \\$clse"):
        compile_formula("rank(clse)", operators=operator_named, fields=FIELDS, bare_fields=True)


# -- lookback and fields -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rows"),
    [
        ("$close", 0),
        ("5", 0),
        ("cs_rank($close)", 0),
        ("ts_mean($close, 20)", 19),
        ("delay($close, 5)", 5),
        ("ts_mean(delay($close, 5), 20)", 24),
        ("delay(ts_mean($close, 20), 5)", 24),
        ("cs_rank(ts_mean($close, 10)) - delay($open, 12)", 12),
        ("ts_mean(ts_mean(ts_mean($close, 3), 3), 3)", 6),
        ("ts_sum($close)", 4),
        ("ema($close, 10)", UNBOUNDED),
        ("ts_mean(ema($close, 10), 5) + delay($open, 100)", UNBOUNDED),
    ],
)
def test_lookback_is_own_plus_the_largest_argument(text, rows):
    tree = checked(text)
    assert lookback(tree) == rows == tree.lookback
    assert rows_needed(tree) == (None if rows == UNBOUNDED else rows + 1)


def test_lookback_of_inner_nodes():
    root = checked("cs_rank(ts_mean(delay($close, 2), 3))").root
    inner = root.args[0]
    assert (lookback(root), lookback(inner), lookback(inner.args[0]), lookback(inner.args[0].args[0])) == (
        4,
        4,
        2,
        0,
    )


def test_fields_used():
    tree = checked("cs_neutralize(ts_mean($close, 3) / $open, $sector) + $close")
    assert fields_used(tree) == {"close", "open", "sector"}
    assert fields_used(checked("1 + 2")) == frozenset()
