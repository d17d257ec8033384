"""Combining factors into a composite that is itself a stored factor.

`composite_synthesize` fits combination weights on the training dates (kernels/synthesis.py),
measures the composite's rank IC in and out of sample and saves the composite as a FactorDefinition
(library "composite") whose formula computes exactly the kernel's composite:

    w1 * cs_zscore(f1) + w2 * cs_zscore(f2) + ...          (orthogonalize: null)

with the kernel's `missing="nan"` rule: a name missing any factor with a non-zero weight has no
composite value, as a formula's sum has none where a term is NaN. (The kernel's default,
"renormalize", rescales the terms a name has, which no formula can state.) Gram-Schmidt
orthogonalization is expressed with `cs_residual`: factor k is replaced by its per-date residual
on factors 1..k-1 (an OLS with intercept, invariant to their z-scoring), over the names where
every factor has a value — each term carries `0 * (f_{k+1} + ... + f_K)`, which is 0 there and NaN
elsewhere, to restrict it to those names as the kernel does:

    w1 * cs_zscore(f1 + 0 * (f2 + f3)) + w2 * cs_zscore(cs_residual(f2 + 0 * (f3), f1, ...)) + ...

The two agree except on degenerate dates (no more names than factors, collinear factors), where the
kernel drops the whole date and a formula may keep values. Symmetric (Löwdin) orthogonalization
mixes every factor through the inverse square root of each date's correlation matrix, which no
operator computes: it is refused.

Weights: from the factors' ICs on the training dates ("equal", "ic", "icir", "max_icir", "pca";
kernels/synthesis.py), or "regression": a ridge fit through the ML engine's facade of the per-date
z-scored forward return on the standardized factors, pooled over the training (date, name) cells,
its coefficients the weights. A boosted-tree fit is not offered: its composite is no weighted sum,
so it could not be saved as a formula and stored like any other factor.

Train and test: dates before `train_end` train the weights, the rest test them; the last
horizon - 1 training dates are left out of the fit (an embargo), since their forward returns reach
into the test dates. Default train_end: the date 70% of the way through the window's dates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError

from apps.ml import facade as ml
from apps.platform.numbers import finite_or_none

from ..kernels.synthesis import FIT_METHODS, SYNTHESIS_METHODS, regression_design, synthesize
from ..models import FactorDefinition
from ..selectors.analysis_panels import analysis_panel
from .analyses import MAX_HORIZON
from .definitions import definition_save

TRAIN_SHARE = 0.7
COMPOSITE_LIBRARY = "composite"
NOT_EXPRESSIBLE = (
    "symmetric orthogonalization cannot be saved as a formula: each output mixes every factor through "
    "the inverse square root of the date's correlation matrix, which no operator computes; use "
    '"gram_schmidt" (expressed with cs_residual) or null'
)


@dataclass(frozen=True)
class CompositeResult:
    definition: FactorDefinition
    weights: dict[str, float]  # by factor label
    ic_in_sample: float | None
    ic_out_of_sample: float | None
    train_end: pd.Timestamp  # first test date (or the window's end when there is none)
    train_dates: int
    test_dates: int


def _number(w: float) -> str:
    return repr(abs(float(w)))  # repr: the shortest text that reads back to the same double


def composite_formula(formulas: Sequence[str], weights: Sequence[float], orthogonalize: str | None) -> str:
    """The formula of Σ w_k cs_zscore(term_k) (zero weights left out), terms as the module says."""
    factors = [f"({f})" for f in formulas]
    terms = []
    for k, (f, w) in enumerate(zip(factors, weights, strict=True)):
        if w == 0:
            continue
        if orthogonalize == "gram_schmidt":
            later = factors[k + 1 :]
            own = f"{f} + 0 * ({' + '.join(later)})" if later else f
            term = f"cs_residual({own}, {', '.join(factors[:k])})" if k else own
        elif orthogonalize is None:
            term = f
        else:
            raise ValidationError({"orthogonalize": [NOT_EXPRESSIBLE]})
        sign = "-" if w < 0 else "+"
        terms.append(f"{sign} {_number(w)} * cs_zscore({term})")
    text = " ".join(terms)
    return text[2:] if text.startswith("+ ") else text


def _train_mask(
    dates: pd.DatetimeIndex, train_end: pd.Timestamp | None, horizon: int
) -> tuple[np.ndarray, int]:
    """(training dates mask after the embargo, index of the first test date)."""
    split = int(len(dates) * TRAIN_SHARE) if train_end is None else int(dates.searchsorted(train_end))
    mask = np.zeros(len(dates), dtype=bool)
    mask[: max(split - (horizon - 1), 0)] = True
    if mask.sum() < 2:
        raise ValidationError(
            {"train_end": ["leaves fewer than 2 training dates (after the horizon's embargo)"]}
        )
    return mask, split


def _fitted_weights(factors: np.ndarray, fwd: np.ndarray, mask: np.ndarray, orthogonalize) -> np.ndarray:
    """The "regression" weights: the ML engine's ridge on the pooled training cells."""
    X, y = regression_design(factors, fwd, train=mask, orthogonalize=orthogonalize)
    if len(y) < 2 * X.shape[1] + 2:
        raise ValueError(
            f"too few training cells with every factor and a return ({len(y)}) for a regression on "
            f"{X.shape[1]} factors"
        )
    return ml.linear_coefficients(X, y)


def composite_synthesize(
    *,
    definitions: Sequence[FactorDefinition],
    symbols: Sequence[str],
    start: pd.Timestamp,
    end: pd.Timestamp,
    name: str,
    method: str = "icir",
    orthogonalize: str | None = None,
    train_end: pd.Timestamp | None = None,
    horizon: int = 1,
    user=None,
) -> CompositeResult:
    """Fit, measure and save the composite of `definitions` (two or more, one interval and price
    adjustment) under `name`. ValidationError keyed by field."""
    definitions = list(dict.fromkeys(definitions))
    if len(definitions) < 2:
        raise ValidationError({"factors": ["give at least two factors to combine"]})
    if method not in SYNTHESIS_METHODS:
        raise ValidationError({"method": [f"use one of {', '.join(SYNTHESIS_METHODS)}"]})
    if orthogonalize not in (None, "gram_schmidt"):
        raise ValidationError(
            {
                "orthogonalize": [
                    NOT_EXPRESSIBLE if orthogonalize == "symmetric" else 'use null or "gram_schmidt"'
                ]
            }
        )
    if not 1 <= horizon <= MAX_HORIZON:
        raise ValidationError({"horizon": [f"give a horizon between 1 and {MAX_HORIZON} bars"]})
    if len({d.adjusted for d in definitions}) > 1:
        raise ValidationError(
            {"factors": ["a composite's factors must all use adjusted, or all raw, prices"]}
        )
    existing = FactorDefinition.objects.filter(name=name).exclude(library=COMPOSITE_LIBRARY).exists()
    if existing:
        raise ValidationError(
            {"name": [f"{name!r} is a factor that is not a composite; choose another name"]}
        )
    panel = analysis_panel(definitions, symbols=symbols, start=start, end=end)
    mask, split = _train_mask(panel.dates, train_end, horizon)
    fwd = panel.forward(horizon)[horizon - 1]
    try:
        weights = _fitted_weights(panel.factors, fwd, mask, orthogonalize) if method in FIT_METHODS else None
        fit = synthesize(
            panel.factors,
            fwd,
            method if weights is None else "equal",
            train=mask,
            orthogonalize=orthogonalize,
            missing="nan",
            weights=weights,
        )
    except ValueError as exc:
        raise ValidationError({"method": [str(exc)]}) from None
    labels = [d.label for d in panel.definitions]
    formula = composite_formula([d.canonical for d in panel.definitions], fit.weights, orthogonalize)
    test = np.ones(len(panel.dates), dtype=bool)
    test[:split] = False
    definition = definition_save(
        name=name,
        formula=formula,
        library=COMPOSITE_LIBRARY,
        description=(
            f"{method} weights of {', '.join(labels)}"
            f"{' (Gram-Schmidt orthogonalized)' if orthogonalize else ''}, fitted on {int(mask.sum())} dates "
            f"from {panel.dates[0]:%Y-%m-%d} over {len(panel.symbols)} symbols at a {horizon}-bar horizon"
        ),
        interval=panel.interval,
        adjusted=definitions[0].adjusted,
        user=user if getattr(user, "is_authenticated", False) else None,
    )
    ic_out = fit.composite_ic[test]
    return CompositeResult(
        definition=definition,
        weights={label: float(w) for label, w in zip(labels, fit.weights, strict=True)},
        ic_in_sample=finite_or_none(fit.ic_in_sample),
        ic_out_of_sample=finite_or_none(np.nanmean(ic_out) if np.isfinite(ic_out).any() else None),
        train_end=panel.dates[split] if split < len(panel.dates) else end,
        train_dates=int(mask.sum()),
        test_dates=int(test.sum()),
    )
