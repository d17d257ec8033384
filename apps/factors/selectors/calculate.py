"""What `POST /api/factors/calculate` asks, resolved and evaluated: formulas (as text, or stored
factors by "name" / "name@version"), a universe (symbols, or every active instrument), a [start, end)
window, the bar interval and adjustment. Every problem is a Django ValidationError keyed by the
request's field, or a `FormulaProblem` (a FormulaError of one formula, with where it is).

A request resolves to a `Calculation`, which travels to a job as JSON (`params` / `from_params`).
Its size is judged before any data is read: `cells_estimate()` counts the window's rows from the
calendar (business days for daily and longer bars, the window's length over the interval for
intraday bars: an upper bound for a market that trades on weekdays) times symbols times formulas.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.conf import settings
from django.core.exceptions import ValidationError

from apps.marketdata import facade as marketdata

from ..kernels.expressions import Checked, FormulaError
from .definitions import definition_by_label
from .evaluation import FactorValues, NoData, factor_values, formula_compile
from .panels import UnknownFieldData


class FormulaProblem(ValueError):
    """A formula of the request is wrong. `field` is "formula", "formulas" or "factors"; `index` the
    formula's place in that list (None for the single "formula"); `error` the FormulaError."""

    def __init__(self, field: str, index: int | None, error: FormulaError) -> None:
        super().__init__(f"{field}{'' if index is None else f'[{index}]'}: {error}")
        self.field, self.index, self.error = field, index, error

    def detail(self) -> dict:
        """The API's 400 body: {"formula": {message, position, length, caret}} or, for a list,
        {"formulas": {"<index>": {...}}}."""
        e = self.error
        one = {"message": e.message, "position": e.position, "length": e.length, "caret": e.caret()}
        return {self.field: one if self.index is None else {str(self.index): one}}

    def as_validation_error(self) -> ValidationError:
        """The same as field messages (a job keeps these on its row)."""
        where = "" if self.index is None else f"[{self.index}] "
        return ValidationError({self.field: [f"{where}{self.error.message} (at {self.error.position})"]})


@dataclass(frozen=True)
class Calculation:
    """A resolved request. `labels[k]` names formula k in answers: the stored factor's "name@version",
    or the formula as written. `field` says where the formulas came from (for error keys)."""

    trees: tuple[Checked, ...]
    labels: tuple[str, ...]
    field: str  # "formula", "formulas" or "factors"
    symbols: tuple[str, ...]
    start: pd.Timestamp
    end: pd.Timestamp
    interval: str
    adjusted: bool

    def rows_estimate(self) -> int:
        length = marketdata.interval_length(self.interval)
        if length == pd.Timedelta(days=1):
            return max(1, len(pd.bdate_range(self.start.normalize(), self.end, inclusive="left")))
        return max(1, int(np.ceil((self.end - self.start) / length)) + (length > pd.Timedelta(days=1)))

    def cells_estimate(self) -> int:
        return self.rows_estimate() * len(self.symbols) * len(self.trees)

    def params(self) -> dict:
        """JSON-safe: what a job needs to evaluate the same thing (formulas as written)."""
        return {
            "formulas": [t.source for t in self.trees],
            "labels": list(self.labels),
            "field": self.field,
            "symbols": list(self.symbols),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "interval": self.interval,
            "adjusted": self.adjusted,
        }

    @classmethod
    def from_params(cls, params: dict) -> Calculation:
        return cls(
            trees=tuple(_compiled(params["field"], params["formulas"], single=params["field"] == "formula")),
            labels=tuple(params["labels"]),
            field=params["field"],
            symbols=tuple(params["symbols"]),
            start=pd.Timestamp(params["start"]),
            end=pd.Timestamp(params["end"]),
            interval=params["interval"],
            adjusted=bool(params["adjusted"]),
        )


def _compiled(field: str, texts: Sequence[str], *, single: bool) -> list[Checked]:
    out = []
    for k, text in enumerate(texts):
        try:
            out.append(formula_compile(text))
        except FormulaError as exc:
            raise FormulaProblem(field, None if single else k, exc.with_formula(text)) from None
    return out


def _formulas(
    formula: str | None,
    formulas: Sequence[str] | None,
    factors: Sequence[str] | None,
    interval: str,
    adjusted: bool,
) -> tuple[str, list[Checked], list[str]]:
    given = [name for name, v in (("formula", formula), ("formulas", formulas), ("factors", factors)) if v]
    if len(given) != 1:
        raise ValidationError({"formula": ["give exactly one of formula, formulas or factors"]})
    (field,) = given
    cap = settings.FACTORS_MAX_FORMULAS
    if field == "formula":
        return field, _compiled(field, [formula], single=True), [formula]
    items = list(formulas if field == "formulas" else factors)
    if len(items) > cap:
        raise ValidationError({field: [f"at most {cap} per request, got {len(items)}"]})
    if field == "formulas":
        return field, _compiled(field, items, single=False), list(items)
    found, unknown = [], []
    for label in dict.fromkeys(items):
        d = definition_by_label(label)
        (unknown.append(label) if d is None else found.append(d))
    if unknown:
        raise ValidationError({"factors": [f"unknown factor: {', '.join(unknown[:20])}"]})
    other = [d.label for d in found if d.interval != interval or d.adjusted != adjusted]
    if other:
        raise ValidationError(
            {"factors": [f"defined at another interval or adjustment than asked: {', '.join(other)}"]}
        )
    return field, _compiled(field, [d.formula for d in found], single=False), [d.label for d in found]


def _symbols(symbols: Sequence[str] | None, universe: str | None) -> tuple[str, ...]:
    if bool(symbols) == bool(universe):
        raise ValidationError({"symbols": ['give symbols, or universe "all" (one of them)']})
    if universe:
        chosen = [i.symbol for i in marketdata.instruments_active()]
        if not chosen:
            raise ValidationError({"universe": ["no active instruments"]})
    else:
        chosen = list(dict.fromkeys(s.strip().upper() for s in symbols if s.strip()))
        if not chosen:
            raise ValidationError({"symbols": ["give at least one symbol"]})
        found = marketdata.instruments_by_symbols(chosen)
        unknown = [s for s in chosen if s not in found]
        if unknown:
            raise ValidationError({"symbols": [f"unknown symbol: {', '.join(unknown[:20])}"]})
    cap = settings.FACTORS_MAX_SYMBOLS
    if len(chosen) > cap:
        raise ValidationError({"symbols": [f"at most {cap} symbols per request, got {len(chosen)}"]})
    return tuple(sorted(chosen) if universe else chosen)


def calculation_resolve(
    *,
    formula: str | None = None,
    formulas: Sequence[str] | None = None,
    factors: Sequence[str] | None = None,
    symbols: Sequence[str] | None = None,
    universe: str | None = None,
    start: str,
    end: str,
    interval: str = "1d",
    adjusted: bool = True,
) -> Calculation:
    """The request resolved, cheapest checks first; reads no bars. Raises ValidationError (keyed
    interval, formula/formulas/factors, symbols/universe, end) or FormulaProblem."""
    if interval not in marketdata.bar_intervals():
        raise ValidationError({"interval": [f"use one of {', '.join(marketdata.bar_intervals())}"]})
    field, trees, labels = _formulas(formula, formulas, factors, interval, adjusted)
    chosen = _symbols(symbols, universe)
    first, last = marketdata.window_start_utc(start), marketdata.window_end_utc(end)
    if first >= last:
        raise ValidationError({"end": ["must be after start"]})
    return Calculation(
        trees=tuple(trees),
        labels=tuple(labels),
        field=field,
        symbols=chosen,
        start=first,
        end=last,
        interval=interval,
        adjusted=adjusted,
    )


def _problem_at(calc: Calculation, exc: FormulaError) -> FormulaProblem:
    index = next((k for k, t in enumerate(calc.trees) if t.source == exc.formula), 0)
    return FormulaProblem(calc.field, None if calc.field == "formula" else index, exc)


def calculation_values(calc: Calculation) -> FactorValues:
    """Evaluate the calculation over stored bars. Raises ValidationError "start" (no bars in the
    window) or FormulaProblem (a window longer than the data; a feature `$f.x` that does not exist)."""
    try:
        return factor_values(
            calc.trees,
            symbols=calc.symbols,
            start=calc.start,
            end=calc.end,
            interval=calc.interval,
            adjusted=calc.adjusted,
        )
    except NoData:
        raise ValidationError(
            {"start": [f"no {calc.interval} bars for these symbols in [{calc.start}, {calc.end})"]}
        ) from None
    except FormulaError as exc:
        raise _problem_at(calc, exc) from None
    except UnknownFieldData as exc:
        for k, tree in enumerate(calc.trees):
            at = tree.source.find(f"${exc.name}")
            if at >= 0:
                error = FormulaError(exc.reason, at, len(exc.name) + 1, tree.source)
                raise FormulaProblem(calc.field, None if calc.field == "formula" else k, error) from None
        raise ValidationError({calc.field: [str(exc)]}) from None
    except marketdata.MarketDataReadError as exc:
        raise ValidationError({"symbols": [str(exc)]}) from None


def values_long(values: FactorValues, labels: Sequence[str]) -> pd.DataFrame:
    """Long form: one row per date and symbol (dates outer, symbols in the request's order), columns
    date (UTC), symbol, then one float64 column per label; NaN where a value is undefined."""
    n_dates, n_symbols = len(values.dates), len(values.symbols)
    frame = pd.DataFrame(
        {
            "date": np.repeat(values.dates, n_symbols),
            "symbol": np.tile(np.asarray(values.symbols, dtype=object), n_dates),
        }
    )
    for label, panel in zip(column_names(labels), values.values, strict=True):
        frame[label] = np.asarray(panel, dtype=np.float64).reshape(-1)
    return frame


def column_names(labels: Sequence[str]) -> list[str]:
    """The labels as distinct column names: a repeated one gets "#2", "#3" ... after its first."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label}#{seen[label]}")
    return out
