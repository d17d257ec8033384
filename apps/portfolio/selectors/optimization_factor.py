"""A factor's values over an optimization's universe and window, read through the factors engine's
facade (the only door to it): a stored factor by name ("name", "name@version", "gen.*") or a formula.
The values are aligned to the returns' dates; the `factor` expected-return estimator turns them
into Grinold alphas (kernels/optimization/grinold.py)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError

from apps.factors import facade as factors

from .optimization_inputs import Inputs


@dataclass(frozen=True)
class FactorValues:
    label: str  # "name@version" for a stored factor (what a re-run asks for), else the formula
    values: np.ndarray  # (T, N) on the returns' dates and the universe's columns, NaN = no value


def factor_values_load(spec: dict, inputs: Inputs) -> FactorValues:
    """Evaluate spec's `factor` or `formula` over [first close, last close]; a 400 naming the field
    for an unknown factor, a formula that does not parse, or one that cannot be computed here."""
    field = "factor" if spec.get("factor") else "formula"
    text = spec[field]
    kwargs = {"factors": [text]} if field == "factor" else {"formulas": [text]}
    end = inputs.dates[-1] + pd.Timedelta(microseconds=1)
    try:
        panels = factors.factor_panel(list(inputs.symbols), start=inputs.start, end=end, **kwargs)
    except factors.UnknownFactor as exc:
        raise ValidationError({"estimator.factor.factor": str(exc)}) from exc
    except factors.FormulaError as exc:
        raise ValidationError({f"estimator.factor.{field}": str(exc)}) from exc
    except factors.NoData as exc:
        raise ValidationError({f"estimator.factor.{field}": str(exc)}) from exc
    label, frame = next(iter(panels.items()))
    frame = frame.reindex(index=inputs.dates, columns=list(inputs.symbols))
    if frame.empty or not frame.iloc[-1].notna().any():
        raise ValidationError(
            {
                f"estimator.factor.{field}": f"{label} has no value on {inputs.dates[-1].date()}, the window's last date"
            }
        )
    return FactorValues(label, frame.to_numpy(dtype=float))
