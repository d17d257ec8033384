from __future__ import annotations

import pytest

from apps.factors.kernels.expressions import Call, Field, FormulaError, Number, Span, parse
from apps.factors.kernels.expressions.parser import MAX_DEPTH, MAX_NESTING


def C(op, *args):  # noqa: N802 - short builders keep the expected trees readable
    return Call(op, tuple(args))


def F(name):  # noqa: N802
    return Field(name)


def N(value):  # noqa: N802
    return Number(float(value))


a, b, c, d, e = (F(x) for x in "abcde")

PRECEDENCE = [
    ("1 + 2 * 3", C("add", N(1), C("mul", N(2), N(3)))),
    ("1 * 2 + 3", C("add", C("mul", N(1), N(2)), N(3))),
    ("1 - 2 - 3", C("sub", C("sub", N(1), N(2)), N(3))),
    ("8 / 4 / 2", C("div", C("div", N(8), N(4)), N(2))),
    ("8 / 4 * 2", C("mul", C("div", N(8), N(4)), N(2))),
    ("2 ^ 3 ^ 2", C("power", N(2), C("power", N(3), N(2)))),
    ("-2 ^ 2", C("neg", C("power", N(2), N(2)))),
    ("2 ^ -1", C("power", N(2), C("neg", N(1)))),
    ("2 * 3 ^ 2", C("mul", N(2), C("power", N(3), N(2)))),
    ("-$a * $b", C("mul", C("neg", a), b)),
    ("$a - -$b", C("sub", a, C("neg", b))),
    ("--$a", C("neg", C("neg", a))),
    ("!$a && $b", C("and", C("not", a), b)),
    ("!($a && $b)", C("not", C("and", a, b))),
    ("$a || $b && $c", C("or", a, C("and", b, c))),
    ("$a && $b || $c", C("or", C("and", a, b), c)),
    ("$a == $b < $c", C("eq", a, C("lt", b, c))),
    ("$a != $b >= $c", C("ne", a, C("ge", b, c))),
    ("$a <= $b == $c > $d", C("eq", C("le", a, b), C("gt", c, d))),
    ("$a < $b + 1", C("lt", a, C("add", b, N(1)))),
    ("$a < $b && $c > $d", C("and", C("lt", a, b), C("gt", c, d))),
    ("$a ? $b : $c", C("if_else", a, b, c)),
    ("$a ? $b : $c ? $d : $e", C("if_else", a, b, C("if_else", c, d, e))),
    ("$a ? $b ? $c : $d : $e", C("if_else", a, C("if_else", b, c, d), e)),
    ("$a || $b ? 1 : 2", C("if_else", C("or", a, b), N(1), N(2))),
    ("$a > 0 ? $b + 1 : -$b", C("if_else", C("gt", a, N(0)), C("add", b, N(1)), C("neg", b))),
    ("($a + $b) * $c", C("mul", C("add", a, b), c)),
    ("((($a)))", a),
    ("f($a, g($b), 1)", C("f", a, C("g", b), N(1))),
    ("f()", C("f")),
    ("f($a ? 1 : 2, -3)", C("f", C("if_else", a, N(1), N(2)), C("neg", N(3)))),
    ("Ref($close, 5)/$close - 1", C("sub", C("div", C("Ref", F("close"), N(5)), F("close")), N(1))),
    (
        "cs_rank(ts_corr($close, $volume, 10)) - 0.5",
        C("sub", C("cs_rank", C("ts_corr", F("close"), F("volume"), N(10))), N(0.5)),
    ),
    (
        "($close > $open) ? $volume : -$volume",
        C("if_else", C("gt", F("close"), F("open")), F("volume"), C("neg", F("volume"))),
    ),
    ("$f.rsi_14 * $econ.DGS10", C("mul", F("f.rsi_14"), F("econ.DGS10"))),
]


@pytest.mark.parametrize(("text", "tree"), PRECEDENCE, ids=[t for t, _ in PRECEDENCE])
def test_precedence_and_associativity(text, tree):
    assert parse(text) == tree


def test_spans():
    tree = parse("ts_mean($close, 5) + 2")
    assert tree.span == Span(0, 22)
    assert tree.op_span == Span(19, 20)
    call, two = tree.args
    assert (call.span, call.op_span) == (Span(0, 18), Span(0, 7))
    assert call.args[0].span == Span(8, 14)
    assert call.args[1].span == Span(16, 17)
    assert two.span == Span(21, 22)


def test_spans_of_prefix_ternary_and_parentheses():
    tree = parse("-($a) ? 1 : 2")
    assert (tree.span, tree.op_span) == (Span(0, 13), Span(6, 7))
    neg = tree.args[0]
    assert (neg.span, neg.op_span) == (Span(0, 5), Span(0, 1))
    assert neg.args[0].span == Span(1, 5)  # a parenthesized node's span covers its parentheses


def test_bare_fields():
    assert parse("close + rank(volume)", bare_fields=True) == C("add", F("close"), C("rank", F("volume")))
    assert parse("IndNeutralize(close, IndClass.sector)", bare_fields=True) == C(
        "IndNeutralize", F("close"), F("IndClass.sector")
    )


ERRORS = [
    ("$close + * 2", 9, "expected a number, field, call or '(', found '*'"),
    ("", 0, "empty formula"),
    ("   ", 0, "empty formula"),
    ("1 +", 3, "unexpected end of formula"),
    ("ts_mean($close, 5", 17, "expected ',' or ')' to close the call opened at 7"),
    ("ts_mean($close 5)", 15, "expected ',' or ')' to close the call opened at 7, found '5'"),
    ("f(1,)", 4, "found ')'"),
    ("f(,1)", 2, "found ','"),
    ("($close + 1", 11, "expected ')' to close the '(' at 0"),
    ("(($close + 1)", 13, "expected ')' to close the '(' at 0"),
    ("$close)", 6, "trailing input: unexpected ')' (no '(' to close)"),
    ("$close $open", 7, "trailing input"),
    ("f(1) (2)", 5, "trailing input"),
    ("()", 1, "found ')'"),
    ("$a ? $b", 7, "expected ':' for the '?' at 3"),
    ("$a ? $b , $c", 8, "expected ':' for the '?' at 3, found ','"),
    ("$a : $b", 3, "trailing input"),
    ("close + 1", 0, "'close' is neither a field nor a call"),
    ("1 + * ", 4, "found '*'"),
    ("2 ^", 3, "unexpected end of formula"),
    ("-", 1, "unexpected end of formula"),
]


@pytest.mark.parametrize(("text", "position", "fragment"), ERRORS, ids=[t or "<empty>" for t, _, _ in ERRORS])
def test_errors_name_what_was_expected_and_where(text, position, fragment):
    with pytest.raises(FormulaError) as raised:
        parse(text)
    assert raised.value.position == position
    assert fragment in raised.value.message
    assert raised.value.formula == text


def test_caret_marks_the_offending_span():
    with pytest.raises(FormulaError) as raised:
        parse("$close + * 2")
    assert raised.value.caret() == "$close + * 2\n         ^"
    with pytest.raises(FormulaError) as raised:
        parse("ts_mean($close 20)")
    assert raised.value.caret() == "ts_mean($close 20)\n               ^^"


def test_nesting_deeper_than_the_limit_is_a_formula_error_not_a_recursion_error():
    parse("(" * MAX_NESTING + "1" + ")" * MAX_NESTING)
    deep = "(" * (MAX_NESTING + 5) + "1" + ")" * (MAX_NESTING + 5)
    with pytest.raises(FormulaError, match="nested too deeply"):
        parse(deep)
    with pytest.raises(FormulaError, match="nested too deeply"):
        parse("-" * 500 + "1")
    with pytest.raises(FormulaError, match="nested too deeply"):
        parse("f(" * 500 + ")" * 500)
    with pytest.raises(FormulaError, match="nested too deeply"):
        parse("$a ? 1 : " * 500 + "2")


def test_a_long_left_leaning_chain_is_refused_by_depth():
    parse(" + ".join(["$a"] * (MAX_DEPTH - 1)))
    with pytest.raises(FormulaError, match="nested too deeply"):
        parse(" + ".join(["$a"] * (MAX_DEPTH + 10)))


ALPHA_21 = (
    "((((sum(close, 8) / 8) + stddev(close, 8)) < (sum(close, 2) / 2)) ? (-1 * 1) : "
    "(((sum(close, 2) / 2) < ((sum(close, 8) / 8) - stddev(close, 8))) ? 1 : "
    "(((1 < (volume / adv20)) || ((volume / adv20) == 1)) ? 1 : (-1 * 1))))"
)
ALPHA_7 = "((adv20 < volume) ? ((-1 * ts_rank(abs(delta(close, 7)), 60)) * sign(delta(close, 7))) : (-1 * 1))"


def test_101_alphas_style_formulas_parse():
    tree = parse(ALPHA_21, bare_fields=True)
    assert tree.op == "if_else"
    assert tree.args[0].op == "lt"
    assert tree.args[1] == C("mul", C("neg", N(1)), N(1))
    inner = tree.args[2]
    assert inner.op == "if_else" and inner.args[1] == N(1)
    innermost = inner.args[2]
    assert innermost.op == "if_else"
    assert innermost.args[0] == C(
        "or",
        C("lt", N(1), C("div", F("volume"), F("adv20"))),
        C("eq", C("div", F("volume"), F("adv20")), N(1)),
    )
    assert tree.span == Span(0, len(ALPHA_21))
    assert tree.args[0].span == Span(1, 65)  # the parenthesized condition

    seven = parse(ALPHA_7, bare_fields=True)
    assert seven.args[0] == C("lt", F("adv20"), F("volume"))
    assert seven.args[1].args[1] == C("sign", C("delta", F("close"), N(7)))
