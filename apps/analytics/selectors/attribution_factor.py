"""Factor attribution (`selectors.attribution`): OLS of the portfolio's period returns on factor
returns given in the request or read from the market-data store."""

from __future__ import annotations

import pandas as pd
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.marketdata import facade as marketdata
from apps.platform.numbers import finite_or_none
from apps.platform.timestamps import iso_utc

from ..kernels import attribution as kernel
from ..kernels.returns import frequency_code
from . import attribution_stored as stored
from .attribution_inputs import (
    dated_series,
    empty_period,
    in_window,
    window_bounds,
)


def _factor_series(name: str, spec, start_ts, end_ts) -> pd.Series:
    field = f"factors.{name}"
    if isinstance(spec, str):
        # An economic series code in the market-data store, as known now.
        try:
            s = marketdata.series_as_of(spec, timezone.now(), start_ts, end_ts)
        except marketdata.UnknownSeriesError:
            raise ValidationError({field: f"Unknown economic series {spec!r}."}) from None
        if s is None or len(s) == 0:
            raise ValidationError({field: f"No observations of series {spec!r} in the window."})
        s = pd.Series(s, dtype=float)
        s.index = pd.DatetimeIndex([marketdata.instant_utc(x) for x in s.index])
        return s
    return dated_series(spec, field)


def factor_attribute(
    *, portfolio: str, factors, returns=None, start=None, end=None, frequency: str | None = None
) -> dict:
    """OLS (with intercept) of the portfolio's period returns on the factors' returns over the dates
    both have. Portfolio returns come from the body ({date: return}) or, when absent, from the
    stored book (time-weighted, `frequency`). Contributions are exposure × the factor's summed
    return; the specific return is the rest of the summed portfolio return (intercept × periods)."""
    start_ts, end_ts = window_bounds(start, end)
    if not isinstance(factors, dict) or not factors:
        raise ValidationError({"factors": 'Give {name: {date: return}} or {name: "SERIES_CODE"}.'})
    if returns is None:
        from .returns import portfolio_returns  # the stored book's time-weighted returns

        frequency = frequency_code(frequency)
        if (
            frequency is not None and frequency not in stored.FREQUENCIES
        ):  # factors are aligned by calendar date
            raise ValidationError({"frequency": f"Use one of {', '.join(stored.FREQUENCIES)} for factors."})

        y = portfolio_returns(portfolio=portfolio, start=start, end=end, frequency=frequency).returns
        source = "stored"
    else:
        y = dated_series(returns, "returns")
        source = "body"
    y = y[[in_window(ts, start_ts, end_ts) for ts in y.index]]
    # Align by calendar date: bars are stamped at midnight UTC, series at the observation date.
    y.index = pd.DatetimeIndex(y.index).normalize()
    frame = pd.DataFrame({"__portfolio__": y})
    names = list(factors)
    for name in names:
        f = _factor_series(str(name), factors[name], start_ts, end_ts)
        f.index = pd.DatetimeIndex(f.index).normalize()
        frame[str(name)] = f.groupby(level=0).last().reindex(frame.index)
    frame = frame.dropna()
    if frame.empty:
        raise empty_period()
    try:
        res = kernel.factor_attribution(frame["__portfolio__"].to_numpy(), frame[names].to_numpy())
    except ValueError as exc:
        raise ValidationError({"factors": f"{exc}."}) from None
    return {
        "method": "factor",
        "source": source,
        "periods": res.n_periods,
        "start": iso_utc(frame.index[0]),
        "end": iso_utc(frame.index[-1]),
        "total_return": float(res.total[0]),
        "alpha": float(res.alpha[0]),
        "alpha_t_stat": finite_or_none(res.alpha_t[0]),
        "specific_return": float(res.specific[0]),
        "r_squared": finite_or_none(res.r_squared[0]),
        "factors": [
            {
                "factor": str(name),
                "exposure": float(res.exposures[0, j]),
                "t_stat": finite_or_none(res.t_stats[0, j]),
                "contribution": float(res.contributions[0, j]),
            }
            for j, name in enumerate(names)
        ],
    }
