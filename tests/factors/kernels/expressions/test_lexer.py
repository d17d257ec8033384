from __future__ import annotations

import pytest

from apps.factors.kernels.expressions import FormulaError, tokenize


def kinds_and_texts(text: str) -> list[tuple[str, str]]:
    return [(t.kind, t.text) for t in tokenize(text)]


def test_tokens_with_spans():
    tokens = tokenize("ts_mean($close, 20) >= 1.5e-3")
    assert [(t.kind, t.text, t.start, t.end) for t in tokens] == [
        ("ident", "ts_mean", 0, 7),
        ("(", "(", 7, 8),
        ("field", "$close", 8, 14),
        (",", ",", 14, 15),
        ("number", "20", 16, 18),
        (")", ")", 18, 19),
        ("op", ">=", 20, 22),
        ("number", "1.5e-3", 23, 29),
        ("end", "", 29, 29),
    ]


@pytest.mark.parametrize(
    ("text", "value"),
    [("3", 3.0), ("0.25", 0.25), (".5", 0.5), ("5.", 5.0), ("1e-3", 0.001), ("2E+2", 200.0), ("9.5", 9.5)],
)
def test_numbers(text, value):
    [number, end] = tokenize(text)
    assert (number.kind, number.value, end.kind) == ("number", value, "end")


@pytest.mark.parametrize("field", ["$close", "$f.rsi_14", "$fund.pe", "$econ.DGS10", "$_x1"])
def test_fields_with_dotted_parts(field):
    assert kinds_and_texts(field)[0] == ("field", field)


def test_dotted_identifier_and_longest_operator_first():
    assert kinds_and_texts("IndClass.sector<=1&&!x||y!=z==w") == [
        ("ident", "IndClass.sector"),
        ("op", "<="),
        ("number", "1"),
        ("op", "&&"),
        ("op", "!"),
        ("ident", "x"),
        ("op", "||"),
        ("ident", "y"),
        ("op", "!="),
        ("ident", "z"),
        ("op", "=="),
        ("ident", "w"),
        ("end", ""),
    ]


def test_every_operator_symbol():
    symbols = "+ - * / ^ < <= > >= == != && || ! ? :".split()
    assert [t.text for t in tokenize(" ".join(symbols))[:-1]] == symbols


@pytest.mark.parametrize(
    ("text", "position", "length", "fragment"),
    [
        ("$close # 2", 7, 1, "unexpected character '#'"),
        ("$a & $b", 3, 1, "did you mean '&&'"),
        ("$a | $b", 3, 1, "did you mean '||'"),
        ("$a = $b", 3, 1, "did you mean '=='"),
        ("1 + 2x", 4, 2, "malformed number '2x'"),
        ("1e", 0, 2, "malformed number"),
        ("3.5.2", 0, 5, "malformed number"),
        ("$ + 1", 0, 1, "expected a field name after '$'"),
        ("$1abc", 0, 1, "expected a field name"),
        ("$close. + 1", 6, 1, "expected a name after '.'"),
        ("1e999", 0, 5, "too large"),
        ("ts_mean(@)", 8, 1, "unexpected character '@'"),
    ],
)
def test_errors_point_at_the_offending_characters(text, position, length, fragment):
    with pytest.raises(FormulaError) as raised:
        tokenize(text)
    assert (raised.value.position, raised.value.length) == (position, length)
    assert fragment in raised.value.message
    assert raised.value.formula == text


@pytest.mark.parametrize(("text", "position"), [("Ábc", 0), ("x + ²", 4), ("1 + ٣", 4), ("$close * µ", 9)])
def test_non_ascii_letters_and_digits_are_an_unexpected_character_not_a_crash(text, position):
    with pytest.raises(FormulaError, match="unexpected character") as err:
        tokenize(text)
    assert err.value.position == position
