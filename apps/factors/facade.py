"""What other engines may import from the factors engine (the only such module): factor values over
a universe and window, by stored factor name or by formula, as pandas frames (ML's inputs,
strategies' signals). Errors are LookupError / ValueError subclasses, never HTTP exceptions."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from .kernels.expressions import FormulaError
from .selectors.evaluation import NoData, factor_values, formula_compile
from .selectors.requested import definition_by_label
from .services.definitions import generated_materialize

__all__ = ["FormulaError", "NoData", "UnknownFactor", "factor_panel"]


class UnknownFactor(LookupError):
    """A factor name that is neither a definition nor a generated catalogue entry."""


def factor_panel(
    symbols: Sequence[str],
    *,
    factors: Sequence[str] = (),
    formulas: Sequence[str] = (),
    start,
    end,
    interval: str = "1d",
    adjusted: bool = True,
) -> dict[str, pd.DataFrame]:
    """{label: dates x symbols DataFrame} over [start, end): each of `factors` ("name" — its latest
    version —, "name@version" or a generated "gen.*" name, computed at its own interval/adjustment)
    labelled "name@version", then each of `formulas` labelled by its text (at `interval`,
    `adjusted`). NaN where a value is undefined. Raises UnknownFactor, FormulaError, NoData."""
    generated_materialize(factors)
    out: dict[str, pd.DataFrame] = {}
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    for name in factors:
        definition = definition_by_label(name)
        if definition is None:
            raise UnknownFactor(f"unknown factor {name!r}")
        got = factor_values(
            [formula_compile(definition.formula)],
            symbols=symbols,
            start=start,
            end=end,
            interval=definition.interval,
            adjusted=definition.adjusted,
        )
        out[definition.label] = got.frame()
    if formulas:
        got = factor_values(
            [formula_compile(f) for f in formulas],
            symbols=symbols,
            start=start,
            end=end,
            interval=interval,
            adjusted=adjusted,
        )
        out.update({f: got.frame(k) for k, f in enumerate(formulas)})
    return out
