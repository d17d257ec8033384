"""Security contribution to return and risk (`selectors.attribution`), from the request's periods
or the stored book."""

from __future__ import annotations

import numpy as np
from django.core.exceptions import ValidationError

from apps.platform.fields import check_computed_finite
from apps.platform.numbers import finite_or_none

from ..kernels import attribution as kernel
from . import attribution_stored as stored
from .attribution_inputs import (
    empty_period,
    in_window,
    linking_check,
    period_date,
    weights_and_returns,
    window_bounds,
)


def contribution_attribute(
    *,
    portfolio: str,
    periods=None,
    start=None,
    end=None,
    linking: str = "carino",
    frequency: str | None = None,
) -> dict:
    """Per security: contribution to return (w × r each period, linked so they add up to the
    compounded portfolio return) and to risk (w_i (Σw)_i / σ_p with the last period's weights and the
    sample covariance of the securities' period returns; they add up to σ_p, per period, not
    annualized). A security absent from a period has weight 0 and return 0 in it. Without `periods`,
    derived from the stored book at `frequency` (`attribution_stored.contribution_from_book`)."""
    linking_check(linking)
    start_ts, end_ts = window_bounds(start, end)
    if periods in (None, []):
        return stored.contribution_from_book(
            portfolio=portfolio, start=start, end=end, frequency=frequency, linking=linking
        )
    if not isinstance(periods, list) or not periods:
        raise ValidationError(
            {"periods": "Give the periods: [{date, securities: {symbol: {weight, return}}}]."}
        )
    chosen = []
    for i, p in enumerate(periods):
        if not isinstance(p, dict):
            raise ValidationError({f"periods[{i}]": "Must be an object."})
        ts = period_date(p.get("date"), f"periods[{i}].date")
        if in_window(ts, start_ts, end_ts):
            chosen.append((ts, _securities(p, i)))
    if not chosen:
        raise empty_period()
    chosen.sort(key=lambda x: x[0])
    symbols = sorted({s for _, secs in chosen for s in secs})
    t, n = len(chosen), len(symbols)
    w, r = np.zeros((t, n)), np.zeros((t, n))
    for k, (_, secs) in enumerate(chosen):
        for j, s in enumerate(symbols):
            w[k, j], r[k, j] = secs.get(s, (0.0, 0.0))
    linked, port = kernel.contribution_to_return(w, r, linking)
    check_computed_finite("periods", linked, port, kernel.compound(port))
    risk, vol = (np.full(n, np.nan), np.nan)
    if t >= 2:
        risk, vol = kernel.contribution_to_risk(w[-1], np.atleast_2d(np.cov(r, rowvar=False)))
    return {
        "method": "contribution",
        "linking": linking,
        "periods": t,
        "portfolio_return": float(kernel.compound(port)),
        "volatility": finite_or_none(vol),
        "securities": [
            {
                "symbol": s,
                "weight": float(w[-1, j]),
                "return_contribution": float(linked[j]),
                "risk_contribution": finite_or_none(risk[j]),
            }
            for j, s in enumerate(symbols)
        ],
    }


def _securities(period: dict, i: int) -> dict[str, tuple[float, float]]:
    field = f"periods[{i}].securities"
    data = period.get("securities")
    if not isinstance(data, dict) or not data:
        raise ValidationError({field: "Give {symbol: {weight, return}}."})
    return weights_and_returns(data, field)
