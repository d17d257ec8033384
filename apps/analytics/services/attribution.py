"""Attribution for one portfolio: shape the request's data (or the stored returns) into arrays, call
the attribution kernels, and answer plain JSON-ready dicts. Bad input raises a ValidationError keyed
by the field at fault (the API answers 400 with it).

Windows: `start` inclusive, `end` exclusive, a bare date as `end` includes that day (as everywhere
in the API). Period data given in the body is keyed by date; a period counts when its date falls
in the window.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.marketdata import facade as marketdata
from apps.marketdata.kernels.times import utc, window_end, window_start
from apps.platform.fields import NUMBER_MAX, check_computed_finite, instant_problem, number_problem
from apps.portfolio import facade as portfolio_facade

from ..kernels import attribution as kernel
from ..kernels.returns import frequency_code
from . import attribution_stored as stored

METHODS = ("brinson", "factor", "contribution")
WEIGHT_SUM_TOLERANCE = 1e-6


def _window(start, end) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    errors = {}
    start_ts = end_ts = None
    try:
        start_ts = window_start(start)
    except (ValueError, TypeError):
        errors["start"] = f"Not a date or timestamp: {start!r}."
    try:
        end_ts = window_end(end)
    except (ValueError, TypeError):
        errors["end"] = f"Not a date or timestamp: {end!r}."
    if start_ts is not None and end_ts is not None and start_ts >= end_ts:
        errors["start"] = "start must be before end."
    if errors:
        raise ValidationError(errors)
    return start_ts, end_ts


def _in_window(ts: pd.Timestamp, start, end) -> bool:
    return (start is None or ts >= start) and (end is None or ts < end)


def _date(value, field: str) -> pd.Timestamp:
    try:
        ts = utc(value)
    except (ValueError, TypeError, OverflowError):
        raise ValidationError({field: f"Not a date: {value!r}."}) from None
    if instant_problem(ts):
        raise ValidationError({field: instant_problem(ts)})
    return ts


def _dated_series(mapping: dict, field: str) -> pd.Series:
    if not isinstance(mapping, dict) or not mapping:
        raise ValidationError({field: "Give a non-empty object of {date: return}."})
    idx = [_date(d, field) for d in mapping]
    try:
        values = [float(v) for v in mapping.values()]
    except (TypeError, ValueError, OverflowError):
        raise ValidationError({field: "Every value must be a number."}) from None
    s = pd.Series(values, index=pd.DatetimeIndex(idx)).sort_index()
    if s.index.has_duplicates:
        raise ValidationError({field: "A date appears twice."})
    if any(number_problem(v) for v in values) or (s <= -1).any():
        raise ValidationError({field: f"Returns must be finite fractions above -1, at most {NUMBER_MAX:g}."})
    return s


def _empty_period() -> ValidationError:
    return ValidationError({"period": "No periods in the window: widen start/end or give data for it."})


def _link_result(method: str) -> None:
    if method not in kernel.LINKINGS:
        raise ValidationError({"linking": f"Use one of {', '.join(kernel.LINKINGS)}."})


def _f(x) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


# --- Brinson -----------------------------------------------------------------------------------


def _weights_and_returns(data: dict, field: str) -> dict[str, tuple[float, float]]:
    """{name: {weight, return}} → {name: (weight, return)}, each checked; errors keyed `field.name`."""
    out = {}
    for key, v in data.items():
        try:
            w, r = float(v["weight"]), float(v["return"])
        except (TypeError, KeyError, ValueError, OverflowError):
            raise ValidationError({f"{field}.{key}": "Needs numeric weight and return."}) from None
        if number_problem(w) or number_problem(r) or r <= -1:
            raise ValidationError(
                {f"{field}.{key}": f"Weight and return at most ±{NUMBER_MAX:g}, return above -1."}
            )
        out[str(key)] = (w, r)
    return out


def _side(period: dict, side: str, i: int) -> dict[str, tuple[float, float]]:
    field = f"periods[{i}].{side}"
    data = period.get(side)
    if not isinstance(data, dict) or not data:
        raise ValidationError({field: "Give {sector: {weight, return}} for every sector held."})
    out = _weights_and_returns(data, field)
    total = sum(w for w, _ in out.values())
    if abs(total - 1.0) > WEIGHT_SUM_TOLERANCE:
        raise ValidationError(
            {field: f"Weights must add up to 1 (include cash as a sector); they add up to {total:.6g}."}
        )
    return out


def _benchmark_missing(code: str) -> ValidationError:
    info = portfolio_facade.portfolio_get(code)
    bench = info.benchmark_symbol if info else None
    reason = (
        f"its benchmark {bench} is a single instrument: no sector weights or returns can be derived from it"
        if bench
        else "the portfolio has no benchmark"
    )
    return ValidationError(
        {
            "benchmark": "Give the benchmark's sector weights and returns in each period, or a model "
            f"benchmark ({stored.BENCHMARK_HELP}); {reason}."
        }
    )


def _benchmark_only(periods) -> bool:
    """Periods that carry only the benchmark side: the portfolio side comes from the stored book."""
    return all(isinstance(p, dict) and "portfolio" not in p and p.get("benchmark") for p in periods)


def brinson_attribute(
    *,
    portfolio: str,
    periods=None,
    start=None,
    end=None,
    linking: str = "carino",
    benchmark=None,
    frequency: str | None = None,
) -> dict:
    """Brinson-Fachler by sector per period, linked over the periods (Carino or Menchero) so the
    effects add up to Π(1+Rp) - Π(1+Rb). A sector one side does not hold has weight 0 there and
    takes the other side's return: its whole effect is allocation.

    Both sides from the body (`periods` with portfolio and benchmark), or the portfolio side derived
    from the stored book at `frequency` (`services.attribution_stored`) against the benchmark side
    of `periods` (benchmark only) or a model `benchmark` (no `periods`)."""
    _link_result(linking)
    start_ts, end_ts = _window(start, end)
    if periods in (None, []):
        if benchmark is None:
            missing = _benchmark_missing(portfolio).message_dict
            raise ValidationError(
                {
                    "periods": "Give the periods, or leave them out and name a model benchmark to derive "
                    "both sides from the stored book.",
                    **missing,
                }
            )
        return stored.brinson_from_book(
            portfolio=portfolio,
            benchmark=stored.benchmark_model(benchmark),
            start=start,
            end=end,
            frequency=frequency,
            linking=linking,
        )
    if isinstance(periods, list) and _benchmark_only(periods):
        body = [
            (_date(p.get("date"), f"periods[{i}].date"), _side(p, "benchmark", i))
            for i, p in enumerate(periods)
        ]
        return stored.brinson_from_book(
            portfolio=portfolio, body_periods=body, start=start, end=end, frequency=frequency, linking=linking
        )
    if not isinstance(periods, list) or not periods:
        raise ValidationError(
            {
                "periods": "Give the periods: [{date, portfolio: {sector: {weight, return}}, benchmark: {...}}]."
            }
        )
    chosen = []
    for i, p in enumerate(periods):
        if not isinstance(p, dict):
            raise ValidationError({f"periods[{i}]": "Must be an object."})
        ts = _date(p.get("date"), f"periods[{i}].date")
        if _in_window(ts, start_ts, end_ts):
            chosen.append((ts, i, p))
    if not chosen:
        raise _empty_period()
    chosen.sort(key=lambda x: x[0])
    if any(a[0] == b[0] for a, b in zip(chosen, chosen[1:], strict=False)):
        raise ValidationError({"periods": "A date appears twice."})
    if any(p.get("benchmark") in (None, {}) for _, _, p in chosen):
        raise _benchmark_missing(portfolio)
    sides = [(_side(p, "portfolio", i), _side(p, "benchmark", i)) for _, i, p in chosen]
    sectors = sorted({s for port, bench in sides for s in (*port, *bench)})
    t, n = len(sides), len(sectors)
    wp, rp, wb, rb = (np.zeros((t, n)) for _ in range(4))
    for k, (port, bench) in enumerate(sides):
        for j, s in enumerate(sectors):
            pw, pr = port.get(s, (0.0, None))
            bw, br = bench.get(s, (0.0, None))
            wp[k, j], wb[k, j] = pw, bw
            rp[k, j] = pr if pr is not None else br
            rb[k, j] = br if br is not None else pr
    e = kernel.brinson_fachler(wp, rp, wb, rb)
    linked = {
        name: kernel.link_effects(getattr(e, name), e.portfolio_return, e.benchmark_return, linking)
        for name in ("allocation", "selection", "interaction")
    }
    total_p, total_b = float(kernel.compound(e.portfolio_return)), float(kernel.compound(e.benchmark_return))
    check_computed_finite(
        "periods", total_p, total_b, *linked.values(), e.portfolio_return, e.benchmark_return
    )
    return {
        "method": "brinson",
        "linking": linking,
        "periods": t,
        "portfolio_return": total_p,
        "benchmark_return": total_b,
        "excess_return": total_p - total_b,
        "totals": {k: float(v.sum()) for k, v in linked.items()}
        | {"total": float(sum(v.sum() for v in linked.values()))},
        "sectors": [
            {"sector": s}
            | {k: float(v[j]) for k, v in linked.items()}
            | {"total": float(sum(v[j] for v in linked.values()))}
            for j, s in enumerate(sectors)
        ],
        "by_period": [
            {
                "date": ts.isoformat(),
                "portfolio_return": float(e.portfolio_return[k]),
                "benchmark_return": float(e.benchmark_return[k]),
                "allocation": float(e.allocation[k].sum()),
                "selection": float(e.selection[k].sum()),
                "interaction": float(e.interaction[k].sum()),
            }
            for k, (ts, _, _) in enumerate(chosen)
        ],
    }


# --- Factor --------------------------------------------------------------------------------------


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
        s.index = pd.DatetimeIndex([utc(x) for x in s.index])
        return s
    return _dated_series(spec, field)


def factor_attribute(
    *, portfolio: str, factors, returns=None, start=None, end=None, frequency: str | None = None
) -> dict:
    """OLS (with intercept) of the portfolio's period returns on the factors' returns over the dates
    both have. Portfolio returns come from the body ({date: return}) or, when absent, from the
    stored book (time-weighted, `frequency`). Contributions are exposure × the factor's summed
    return; the specific return is the rest of the summed portfolio return (intercept × periods)."""
    start_ts, end_ts = _window(start, end)
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
        y = _dated_series(returns, "returns")
        source = "body"
    y = y[[_in_window(ts, start_ts, end_ts) for ts in y.index]]
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
        raise _empty_period()
    try:
        res = kernel.factor_attribution(frame["__portfolio__"].to_numpy(), frame[names].to_numpy())
    except ValueError as exc:
        raise ValidationError({"factors": f"{exc}."}) from None
    return {
        "method": "factor",
        "source": source,
        "periods": res.n_periods,
        "start": frame.index[0].isoformat(),
        "end": frame.index[-1].isoformat(),
        "total_return": float(res.total[0]),
        "alpha": float(res.alpha[0]),
        "alpha_t_stat": _f(res.alpha_t[0]),
        "specific_return": float(res.specific[0]),
        "r_squared": _f(res.r_squared[0]),
        "factors": [
            {
                "factor": str(name),
                "exposure": float(res.exposures[0, j]),
                "t_stat": _f(res.t_stats[0, j]),
                "contribution": float(res.contributions[0, j]),
            }
            for j, name in enumerate(names)
        ],
    }


# --- Security contribution -----------------------------------------------------------------------


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
    _link_result(linking)
    start_ts, end_ts = _window(start, end)
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
        ts = _date(p.get("date"), f"periods[{i}].date")
        if _in_window(ts, start_ts, end_ts):
            chosen.append((ts, _securities(p, i)))
    if not chosen:
        raise _empty_period()
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
        "volatility": _f(vol),
        "securities": [
            {
                "symbol": s,
                "weight": float(w[-1, j]),
                "return_contribution": float(linked[j]),
                "risk_contribution": _f(risk[j]),
            }
            for j, s in enumerate(symbols)
        ],
    }


def _securities(period: dict, i: int) -> dict[str, tuple[float, float]]:
    field = f"periods[{i}].securities"
    data = period.get("securities")
    if not isinstance(data, dict) or not data:
        raise ValidationError({field: "Give {symbol: {weight, return}}."})
    return _weights_and_returns(data, field)
