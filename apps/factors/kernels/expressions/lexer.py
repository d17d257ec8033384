"""Turns formula text into tokens, each with its span in the text.

Tokens: numbers (`3`, `0.5`, `.5`, `1e-3`), identifiers (`ts_mean`, `IndClass.sector`), fields
(`$close`, `$f.rsi_14`, `$econ.DGS10`: `$` then a name, then optional `.name` parts), the infix
operators `+ - * / ^ < <= > >= == != && || ! ? :`, and `( ) ,`. Whitespace separates tokens and is
otherwise ignored. Anything else is a FormulaError at its position.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from .errors import FormulaError

TokenKind = Literal["number", "ident", "field", "op", "(", ")", ",", "end"]

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_NUMBER = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_DOTTED = re.compile(rf"{_NAME}(?:\.{_NAME})*")
_SPACE = re.compile(r"\s+")
# Longest first, so `<=` is not read as `<` then `=`.
_OPERATORS = ("<=", ">=", "==", "!=", "&&", "||", "+", "-", "*", "/", "^", "<", ">", "!", "?", ":")
_PUNCTUATION = {"(": "(", ")": ")", ",": ","}
_HINTS = {"&": "&&", "|": "||", "=": "=="}
_DIGITS = frozenset("0123456789")
_NAME_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")


@dataclass(frozen=True)
class Token:
    kind: TokenKind
    text: str
    start: int
    end: int
    value: float | None = None  # for numbers

    def describe(self) -> str:
        return "end of formula" if self.kind == "end" else f"'{self.text}'"


def tokenize(text: str) -> list[Token]:
    """The tokens of `text`, ending with one `end` token at len(text)."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        if m := _SPACE.match(text, i):
            i = m.end()
            continue
        ch = text[i]
        # ASCII only: str.isdigit/isalpha also accept '²' or 'Á', which no token pattern matches.
        if ch in _DIGITS or (ch == "." and i + 1 < n and text[i + 1] in _DIGITS):
            tokens.append(_number(text, i))
        elif ch == "$":
            tokens.append(_field(text, i))
        elif ch in _NAME_START:
            tokens.append(_identifier(text, i))
        elif ch in _PUNCTUATION:
            tokens.append(Token(_PUNCTUATION[ch], ch, i, i + 1))  # type: ignore[arg-type]
        elif op := next((o for o in _OPERATORS if text.startswith(o, i)), None):
            tokens.append(Token("op", op, i, i + len(op)))
        else:
            hint = f" (did you mean '{_HINTS[ch]}'?)" if ch in _HINTS else ""
            raise FormulaError(f"unexpected character '{ch}'{hint}", i, 1, text)
        i = tokens[-1].end
    tokens.append(Token("end", "", n, n))
    return tokens


def _number(text: str, i: int) -> Token:
    m = _NUMBER.match(text, i)
    assert m is not None  # the caller saw a digit or '.digit'
    end = m.end()
    # `2x`, `1e`, `3.5.2`: a number running into letters or a second dot is a typo, not two tokens.
    if end < len(text) and (text[end].isalnum() or text[end] in "_."):
        j = end
        while j < len(text) and (text[j].isalnum() or text[j] in "_."):
            j += 1
        raise FormulaError(f"malformed number '{text[i:j]}'", i, j - i, text)
    value = float(m.group())
    if not math.isfinite(value):
        raise FormulaError(f"number '{m.group()}' is too large", i, end - i, text)
    return Token("number", m.group(), i, end, value)


def _field(text: str, i: int) -> Token:
    m = _DOTTED.match(text, i + 1)
    if m is None:
        raise FormulaError("expected a field name after '$' (e.g. $close)", i, 1, text)
    _no_trailing_dot(text, m.end())
    return Token("field", text[i : m.end()], i, m.end())


def _identifier(text: str, i: int) -> Token:
    m = _DOTTED.match(text, i)
    assert m is not None
    _no_trailing_dot(text, m.end())
    return Token("ident", m.group(), i, m.end())


def _no_trailing_dot(text: str, end: int) -> None:
    if end < len(text) and text[end] == ".":
        raise FormulaError("expected a name after '.'", end, 1, text)
