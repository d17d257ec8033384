"""Expected returns and covariance of an optimization's inputs by the request's estimator, with
what the answer's `details` shows of them: the missing-data report, and for the `factor` estimator
the factor read, its IC and the scores (Grinold's rule, kernels/optimization/grinold.py)."""

from __future__ import annotations

import dataclasses

import numpy as np
from django.core.exceptions import ValidationError

from ..kernels import optimization as opt
from ..kernels.optimization.estimators import RETURN_ESTIMATORS as KERNEL_ESTIMATORS
from ..kernels.optimization.grinold import grinold_alpha
from .optimization_factor import factor_values_load
from .optimization_inputs import Inputs

# the kernels' estimators and the one this module adds from the factors engine
RETURN_ESTIMATORS = (*KERNEL_ESTIMATORS, "factor")


def _missing_report(inputs: Inputs, est: opt.Estimates) -> dict:
    report = est.report
    return {
        "policy": report.policy,
        "missing_returns": report.missing_cells,
        "dropped_dates": [inputs.dates[i].isoformat() for i in report.dropped_dates],
        "dropped_assets": [inputs.symbols[i] for i in report.dropped_assets],
        "filled_returns": report.filled_cells,
        "summary": report.describe(),
    }


def _factor(inputs: Inputs, est: opt.Estimates, spec: dict, pinned: str | None):
    """Grinold alphas of the kept assets; the estimates with mu replaced, and their details."""
    if pinned:
        spec = {"factor": pinned, "ic": spec.get("ic")}  # a re-run reads the version the first run read
    field = "estimator.factor." + ("factor" if spec.get("factor") else "formula")
    values = factor_values_load(spec, inputs)
    kept = [inputs.symbols[i] for i in est.assets]
    try:
        g = grinold_alpha(
            values.values[:, est.assets],
            inputs.returns[:, est.assets],
            np.sqrt(np.diag(est.cov)),
            ic=spec.get("ic"),
        )
    except ValueError as exc:
        raise ValidationError({field: f"{values.label}: {exc}"}) from exc
    unscored = [kept[i] for i in g.unscored]
    source = "given" if spec.get("ic") is not None else f"mean daily rank IC over {g.ic_dates} dates"
    note = (
        f"expected returns: factor {values.label} by Grinold's rule alpha = IC x volatility x z-score "
        f"(IC {g.ic:.4g}, {source}; scores of {inputs.dates[-1].date()})"
    )
    if unscored:
        note += f"; no factor value (alpha 0) for {', '.join(unscored)}"
    notes = tuple(n if not n.startswith("expected returns:") else note for n in est.notes)
    details = {
        "returns": "factor",
        "rule": "alpha = IC x volatility x z-score (Grinold); z-score of the window's last date, sample std",
        "factor": values.label,
        "ic": g.ic,
        "ic_source": source,
        "scores_date": inputs.dates[-1].isoformat(),
        "scores": dict(zip(kept, g.scores.tolist(), strict=True)),
        "volatility": dict(zip(kept, g.vol.tolist(), strict=True)),
        "alpha": dict(zip(kept, g.alpha.tolist(), strict=True)),
        "unscored": unscored,
        "unscored_rule": "an asset without a factor value on the last date scores 0 (alpha 0)",
    }
    return dataclasses.replace(est, mu=g.alpha, notes=notes), details


def estimates_load(
    inputs: Inputs, estimator: dict, risk_free_rate: float, *, pinned_factor: str | None = None
) -> tuple[opt.Estimates, dict]:
    """The estimates and {"missing_data": ..., "estimator": ...} for the answer's details."""
    returns = estimator.get("returns", "mean")
    try:
        est = opt.estimate(
            inputs.returns,
            # the factor estimator replaces the mean afterwards; cleaning and covariance are shared
            expected="mean" if returns == "factor" else returns,
            covariance=estimator.get("covariance", "ledoit_wolf"),
            policy=estimator.get("missing", "drop_dates"),
            risk_free_rate=risk_free_rate,
            **dict(estimator.get("params") or {}),
        )
    except (ValueError, TypeError) as exc:
        raise ValidationError({"estimator": str(exc)}) from exc
    details = {"missing_data": _missing_report(inputs, est), "estimator": {"returns": returns}}
    if returns == "factor":
        est, details["estimator"] = _factor(inputs, est, estimator.get("factor") or {}, pinned_factor)
    details["estimator"]["notes"] = list(est.notes)
    return est, details
