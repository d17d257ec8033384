"""Field filters of a subscription: compiled once at subscribe, tested per event. Pure Python.

A subscribe message may carry
    "filters": {"symbol": ["AAPL", "MSFT"], "severity": "high", "portfolio": ["alice_001", 7],
                "fields": [{"field": "close", "op": ">", "value": 150}]}
Every key given must hold (AND); a key left out does not filter. `severity` means "at least":
the order is the risk engine's (SPEC "Risk limit types": low < medium < high < critical).
`fields` compare a payload value reached by a dotted path (`breach.level`) with =, !=, <, <=, >,
>= or in. An event lacking the field, or holding a value of another type than an ordering
comparison needs, does not match (never an error at delivery time: errors are raised here, at
subscribe, naming the key at fault).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

# The risk engine's order (apps/risk/kernels/catalog.py SEVERITIES; a test holds them equal).
SEVERITIES = ("low", "medium", "high", "critical")
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
OPS = ("=", "!=", "<", "<=", ">", ">=", "in")
MAX_LIST = 100
MAX_FIELDS = 10
MAX_PATH_SEGMENTS = 8
MAX_STRING = 128
_PATH_SEG = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
MISSING = object()
KEYS = ("symbol", "severity", "portfolio", "fields")


class FilterError(ValueError):
    pass


class EventFieldsLike(Protocol):
    symbol: str | None
    severity: str | None
    portfolios: frozenset[tuple[str, str | int]]

    def value(self, path: tuple[str, ...]) -> Any: ...


@dataclass(frozen=True)
class Comparison:
    path: tuple[str, ...]
    op: str
    value: Any

    def holds(self, actual: Any) -> bool:
        if actual is MISSING:
            return False
        op, want = self.op, self.value
        if op == "in":
            return _scalar(actual) and any(_same(actual, w) for w in want)
        if op == "=":
            return _same(actual, want)
        if op == "!=":
            return not _same(actual, want)
        if not _orderable(actual, want):
            return False
        if op == "<":
            return actual < want
        if op == "<=":
            return actual <= want
        if op == ">":
            return actual > want
        return actual >= want


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _scalar(v: Any) -> bool:
    return v is None or isinstance(v, str | bool) or _is_number(v)


def _same(a: Any, b: Any) -> bool:
    # 1 == True in Python; in a JSON payload they are different things.
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return a == b


def _orderable(a: Any, b: Any) -> bool:
    return (_is_number(a) and _is_number(b)) or (isinstance(a, str) and isinstance(b, str))


@dataclass(frozen=True)
class Filter:
    symbols: frozenset[str] | None = None
    min_severity: int | None = None
    portfolios: frozenset[tuple[str, str | int]] | None = None
    fields: tuple[Comparison, ...] = ()

    def matches(self, ev: EventFieldsLike) -> bool:
        if self.symbols is not None and (ev.symbol is None or ev.symbol.upper() not in self.symbols):
            return False
        if self.min_severity is not None:
            rank = SEVERITY_RANK.get(ev.severity) if isinstance(ev.severity, str) else None
            if rank is None or rank < self.min_severity:
                return False
        if self.portfolios is not None and not (ev.portfolios & self.portfolios):
            return False
        return all(c.holds(ev.value(c.path)) for c in self.fields)


def _string(v: Any, where: str) -> str:
    if not isinstance(v, str) or not v or len(v) > MAX_STRING:
        raise FilterError(f"{where} must be a non-empty string of at most {MAX_STRING} characters")
    return v


def _list(v: Any, where: str) -> list:
    if not isinstance(v, list) or not v or len(v) > MAX_LIST:
        raise FilterError(f"{where} must be a non-empty list of at most {MAX_LIST} items")
    return v


def _value(v: Any, where: str) -> Any:
    if isinstance(v, str):
        return _string(v, where) if v else v
    if _is_number(v):
        if v != v or v in (float("inf"), float("-inf")):
            raise FilterError(f"{where} must be a finite number")
        return v
    if v is None or isinstance(v, bool):
        return v
    raise FilterError(f"{where} must be a string, a number, true, false or null")


def _comparison(spec: Any, i: int) -> Comparison:
    where = f"filters.fields[{i}]"
    if not isinstance(spec, dict) or set(spec) - {"field", "op", "value"} or not {"field", "op"} <= set(spec):
        raise FilterError(f'{where} must be {{"field": ..., "op": ..., "value": ...}}')
    path = tuple(_string(spec["field"], f"{where}.field").split("."))
    if len(path) > MAX_PATH_SEGMENTS or not all(_PATH_SEG.match(s) for s in path):
        raise FilterError(
            f"{where}.field must be a dotted path of at most {MAX_PATH_SEGMENTS} names (letters, digits, _ -)"
        )
    op = spec["op"]
    if op not in OPS:
        raise FilterError(f"{where}.op must be one of {', '.join(OPS)}")
    if "value" not in spec:
        raise FilterError(f"{where}.value is required")
    raw = spec["value"]
    if op == "in":
        value: Any = tuple(_value(v, f"{where}.value[]") for v in _list(raw, f"{where}.value"))
    else:
        value = _value(raw, f"{where}.value")
        if op in ("<", "<=", ">", ">=") and not (_is_number(value) or isinstance(value, str)):
            raise FilterError(f"{where}.value must be a number or a string for {op}")
    return Comparison(path, op, value)


def compile_filter(spec: Any) -> Filter | None:
    """A Filter from a subscribe message's `filters`; None when absent. FilterError names the fault."""
    if spec is None:
        return None
    if not isinstance(spec, dict):
        raise FilterError("filters must be a JSON object")
    unknown = sorted(set(spec) - set(KEYS))
    if unknown:
        raise FilterError(f"filters: unknown key {unknown[0]!r}; known: {', '.join(KEYS)}")
    symbols = portfolios = min_sev = None
    if "symbol" in spec:
        symbols = frozenset(
            _string(s, "filters.symbol[]").upper() for s in _list(spec["symbol"], "filters.symbol")
        )
    if "severity" in spec:
        sev = spec["severity"]
        if sev not in SEVERITY_RANK:
            raise FilterError(f"filters.severity must be one of {', '.join(SEVERITIES)}")
        min_sev = SEVERITY_RANK[sev]
    if "portfolio" in spec:
        refs = set()
        for p in _list(spec["portfolio"], "filters.portfolio"):
            if _is_number(p) and isinstance(p, int) and p > 0:
                refs.add(("id", p))
            elif isinstance(p, str) and p:
                refs.add(("code", _string(p, "filters.portfolio[]")))
            else:
                raise FilterError(
                    "filters.portfolio[] must be portfolio codes (strings) or ids (positive integers)"
                )
        portfolios = frozenset(refs)
    fields: tuple[Comparison, ...] = ()
    if "fields" in spec:
        raw = spec["fields"]
        if not isinstance(raw, list) or len(raw) > MAX_FIELDS:
            raise FilterError(f"filters.fields must be a list of at most {MAX_FIELDS} comparisons")
        fields = tuple(_comparison(c, i) for i, c in enumerate(raw))
    return Filter(symbols, min_sev, portfolios, fields)
