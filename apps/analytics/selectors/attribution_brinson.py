"""Brinson-Fachler attribution by sector (`selectors.attribution`): both sides from the request's
periods, or the portfolio side (and a model benchmark) from the stored book."""

from __future__ import annotations

import numpy as np
from django.core.exceptions import ValidationError

from apps.platform.fields import check_computed_finite
from apps.platform.timestamps import iso_utc
from apps.portfolio import facade as portfolio_facade

from ..kernels import attribution as kernel
from . import attribution_stored as stored
from .attribution_inputs import (
    WEIGHT_SUM_TOLERANCE,
    empty_period,
    in_window,
    linking_check,
    period_date,
    weights_and_returns,
    window_bounds,
)


def _side(period: dict, side: str, i: int) -> dict[str, tuple[float, float]]:
    field = f"periods[{i}].{side}"
    data = period.get(side)
    if not isinstance(data, dict) or not data:
        raise ValidationError({field: "Give {sector: {weight, return}} for every sector held."})
    out = weights_and_returns(data, field)
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
    from the stored book at `frequency` (`selectors.attribution_stored`) against the benchmark side
    of `periods` (benchmark only) or a model `benchmark` (no `periods`)."""
    linking_check(linking)
    start_ts, end_ts = window_bounds(start, end)
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
            (period_date(p.get("date"), f"periods[{i}].date"), _side(p, "benchmark", i))
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
        ts = period_date(p.get("date"), f"periods[{i}].date")
        if in_window(ts, start_ts, end_ts):
            chosen.append((ts, i, p))
    if not chosen:
        raise empty_period()
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
                "date": iso_utc(ts),
                "portfolio_return": float(e.portfolio_return[k]),
                "benchmark_return": float(e.benchmark_return[k]),
                "allocation": float(e.allocation[k].sum()),
                "selection": float(e.selection[k].sum()),
                "interaction": float(e.interaction[k].sum()),
            }
            for k, (ts, _, _) in enumerate(chosen)
        ],
    }
