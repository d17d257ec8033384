"""Attribution derived from the stored book (no `periods` in the request): security contribution and
Brinson-Fachler by sector, per period of the portfolio's time-weighted returns at 1d, 1w or 1mo.

Per period the start-of-period holdings (`selectors.book_periods`) explain Σ w_i r_i of the return;
the rest is the "cash and trading" residual, so contributions add up exactly to each period's
time-weighted return, and linked (Carino or Menchero) to the compounded return of the window.

Brinson: the portfolio's sectors are its instruments' sectors (blank: "Unclassified") and "Cash"
(weight cash / NAV, return 0: base cash earns nothing). The benchmark side is a model: another stored
portfolio derived the same way, fixed instrument weights rebalanced every period, or sector weights
and returns given per period in the body. What the start holdings of either side do not explain is
the `trading` effect: (Rp - Rb) - (allocation + selection + interaction) of each period, linked with
the others so that all four add up to the compounded excess return.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError

from apps.platform.numbers import finite_or_none
from apps.platform.timestamps import iso_utc

from ..kernels import attribution as kernel
from ..kernels.returns import FREQUENCIES, PERIOD_RULE, frequency_code
from . import sources
from .book_periods import (
    CASH_AND_TRADING,
    CASH_SECTOR,
    HoldingPeriods,
    by_sector,
    model_periods,
    other_book_periods,
    period_bounds,
    portfolio_periods,
    sectors_of,
)
from .returns import BookReturns, portfolio_book_returns

WEIGHT_SUM_TOLERANCE = 1e-6
SMALL_WEIGHT = 1e-12  # below this a sector's weight is "not held": its return is the other side's

BENCHMARK_HELP = 'Give {"portfolio": "CODE"} (a stored portfolio) or {"weights": {"SYMBOL": weight, ...}}.'


def book_returns(*, portfolio, start, end, frequency: str | None) -> BookReturns:
    """The book's returns at `frequency`; None: the finest of 1d, 1w, 1mo that its bars give."""
    frequency = frequency_code(frequency)
    if frequency is not None and frequency not in FREQUENCIES:
        raise ValidationError(
            {
                "frequency": f"Attribution periods from the book are {', '.join(FREQUENCIES)}, not {frequency!r}."
            }
        )
    return portfolio_book_returns(portfolio=portfolio, start=start, end=end, frequency=frequency)


# --- Security contribution ---------------------------------------------------------------------------


def contribution_from_book(*, portfolio, start=None, end=None, frequency=None, linking="carino") -> dict:
    """Per instrument and the cash-and-trading row: contribution to return (linked) and to risk
    (ex post: cov(c_i, R) / σ_R over the periods, adding up to σ_R), by instrument and by sector."""
    br = book_returns(portfolio=portfolio, start=start, end=end, frequency=frequency)
    frequency, hp = br.result.frequency, portfolio_periods(br)
    per_period = np.column_stack([hp.contributions, hp.residual])
    rows = [*hp.symbols, CASH_AND_TRADING]
    sectors = [*sectors_of(hp.symbols), CASH_SECTOR]
    twr = hp.total_return
    linked = kernel.link_effects(per_period, twr, np.zeros_like(twr), linking)
    risk, vol = kernel.contribution_to_risk_ex_post(per_period)
    weights = np.r_[hp.weights[-1], hp.cash_weight[-1]]
    names = sorted(set(sectors) - {CASH_SECTOR}) + [CASH_SECTOR]
    by = {n: [j for j, s in enumerate(sectors) if s == n] for n in names}
    return {
        "method": "contribution",
        "source": "stored",
        "frequency": frequency,
        "linking": linking,
        "periods": len(twr),
        "start": iso_utc(hp.dates[0]),
        "end": iso_utc(hp.dates[-1]),
        "portfolio_return": float(kernel.compound(twr)),
        "volatility": finite_or_none(vol),
        "securities": [
            {
                "symbol": rows[j],
                "sector": sectors[j],
                "weight": float(weights[j]),
                "return_contribution": float(linked[j]),
                "risk_contribution": finite_or_none(risk[j]),
            }
            for j in range(len(rows))
        ],
        "sectors": [
            {
                "sector": n,
                "weight": float(weights[js].sum()),
                "return_contribution": float(linked[js].sum()),
                "risk_contribution": finite_or_none(risk[js].sum()),
            }
            for n, js in by.items()
        ],
        "by_period": [
            {
                "date": iso_utc(ts),
                "portfolio_return": float(twr[k]),
                "contributions": {rows[j]: float(per_period[k, j]) for j in range(len(rows))},
            }
            for k, ts in enumerate(hp.dates)
        ],
        "conventions": {
            "weight": "value held at the start of the last period / NAV then",
            "return_contribution": "weight x base-currency price return per period, linked over periods",
            CASH_AND_TRADING: "the period's time-weighted return minus the holdings' contributions: cash, "
            "fees, dividends, trades at prices other than the close",
            "risk_contribution": "ex post: cov(contribution, portfolio return) / volatility, per period",
        },
    }


# --- Brinson -------------------------------------------------------------------------------------


def _weights_benchmark(weights) -> dict[str, float]:
    field = "benchmark.weights"
    if not isinstance(weights, dict) or not weights:
        raise ValidationError({field: "Give {SYMBOL: weight, ...} adding up to 1."})
    out: dict[str, float] = {}
    for sym, w in weights.items():
        try:
            value = float(w)
        except (TypeError, ValueError, OverflowError):  # OverflowError: an integer of 400 digits
            raise ValidationError({f"{field}.{sym}": "Must be a number."}) from None
        if not math.isfinite(value):
            raise ValidationError({f"{field}.{sym}": "Must be finite."})
        out[str(sym).strip().upper()] = out.get(str(sym).strip().upper(), 0.0) + value
    known = sources.instruments(list(out))
    unknown = [s for s in out if s not in known]
    if unknown:
        raise ValidationError({f"{field}.{unknown[0]}": f"Unknown instrument {unknown[0]!r}."})
    total = sum(out.values())
    if abs(total - 1.0) > WEIGHT_SUM_TOLERANCE:
        raise ValidationError({field: f"Weights must add up to 1; they add up to {total:.6g}."})
    return out


def _portfolio_benchmark(code, base: str, end, starts, ends, dates, interval: str = "1d") -> HoldingPeriods:
    """Another stored book over the periods (starts, ends], valued on the same bars as the portfolio
    (`interval`): weekly/monthly steps are labelled by their bucket start, so the two books' steps
    only line up when both are valued on the same interval."""
    field = "benchmark.portfolio"
    info = sources.portfolio_info(code) if isinstance(code, str) and code.strip() else None
    if info is None:
        raise ValidationError({field: f"Unknown portfolio {code!r}."})
    if info.base_currency != base:
        raise ValidationError(
            {field: f"Its base currency {info.base_currency} is not the portfolio's ({base})."}
        )
    try:
        other = portfolio_book_returns(portfolio=info, end=end, frequency=interval)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None
    if other.result.interval != interval:
        raise ValidationError(
            {
                field: f"It is valued on {other.result.interval} bars, the portfolio on {interval} bars; "
                'compare with {"weights": {...}} instead.'
            }
        )
    return other_book_periods(other, starts, ends, dates)


def _body_benchmark(body: list, frequency: str, dates: pd.DatetimeIndex):
    """Sector weights/returns given per period in the body, matched to the book's periods by the
    period (day, week or month) their date falls in."""

    def key(ts: pd.Timestamp):
        naive = ts.tz_convert("UTC").tz_localize(None)
        return naive.normalize() if frequency not in PERIOD_RULE else naive.to_period(PERIOD_RULE[frequency])

    given = {}
    for ts, side in body:
        if key(ts) in given:
            raise ValidationError({"periods": f"Two periods fall in the period of {ts.date()}."})
        given[key(ts)] = side
    missing = [d for d in dates if key(d) not in given]
    if missing:
        raise ValidationError({"periods": f"No benchmark data for the period ending {missing[0].date()}."})
    sides = [given[key(d)] for d in dates]
    names = sorted({s for side in sides for s in side})
    w = np.array([[side.get(n, (0.0, np.nan))[0] for n in names] for side in sides])
    r = np.array([[side.get(n, (0.0, np.nan))[1] for n in names] for side in sides])
    return names, w, r, np.nansum(w * np.nan_to_num(r), axis=1)


def _sector_returns(weights: np.ndarray, contributions: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.abs(weights) > SMALL_WEIGHT, contributions / weights, np.nan)


def _place(names: list[str], side_names: list[str], w: np.ndarray, r: np.ndarray):
    out_w, out_r = np.zeros((len(w), len(names))), np.full((len(w), len(names)), np.nan)
    for j, n in enumerate(side_names):
        out_w[:, names.index(n)] += w[:, j]
        out_r[:, names.index(n)] = r[:, j]
    return out_w, out_r


def _benchmark_label(benchmark) -> dict:
    if "portfolio" in benchmark:
        return {"portfolio": benchmark["portfolio"]}
    return {"weights": benchmark["weights"]}


def brinson_from_book(
    *,
    portfolio,
    benchmark: dict | None = None,
    body_periods: list | None = None,
    start=None,
    end=None,
    frequency=None,
    linking="carino",
) -> dict:
    """Brinson-Fachler by sector of the stored book against a model `benchmark` ({"portfolio": CODE}
    or {"weights": {...}}) or `body_periods` ([(date, {sector: (weight, return)})]), linked."""
    br = book_returns(portfolio=portfolio, start=start, end=end, frequency=frequency)
    frequency = br.result.frequency  # its code ("1mo" for "monthly")
    base = sources.portfolio_info(portfolio).base_currency
    hp = portfolio_periods(br)
    p_names, p_w, p_c = by_sector(hp)
    p_r = _sector_returns(p_w, p_c)
    if body_periods is not None:
        b_names, b_w, b_r, rb_total = _body_benchmark(body_periods, frequency, hp.dates)
        label = {"periods": "body"}
    else:
        starts, ends = period_bounds(br)
        if "portfolio" in benchmark:
            bp = _portfolio_benchmark(
                benchmark["portfolio"], base, end, starts, ends, hp.dates, interval=br.result.interval
            )
        else:
            weights = _weights_benchmark(benchmark["weights"])
            bp = model_periods(weights, base, starts, ends, hp.dates, interval=br.result.interval)
        b_names, b_w, b_c = by_sector(bp)
        b_r, rb_total = _sector_returns(b_w, b_c), bp.total_return
        label = _benchmark_label(benchmark)
    names = sorted(set(p_names) | set(b_names), key=lambda s: (s == CASH_SECTOR, s))
    wp, rp = _place(names, p_names, p_w, p_r)
    wb, rb = _place(names, b_names, b_w, b_r)
    # A sector one side does not hold takes the other side's return (its effect is allocation).
    rp, rb = np.where(np.isnan(rp), rb, rp), np.where(np.isnan(rb), rp, rb)
    rp, rb = np.nan_to_num(rp), np.nan_to_num(rb)
    e = kernel.brinson_fachler(wp, rp, wb, rb)
    rp_total = hp.total_return
    explained = e.allocation.sum(axis=1) + e.selection.sum(axis=1) + e.interaction.sum(axis=1)
    trading = (rp_total - rb_total) - explained
    coeff = kernel.link_coefficients(rp_total, rb_total, linking)
    linked = {
        n: (getattr(e, n) * coeff[:, None]).sum(axis=0) for n in ("allocation", "selection", "interaction")
    }
    trading_linked = float((trading * coeff).sum())
    total_p, total_b = float(kernel.compound(rp_total)), float(kernel.compound(rb_total))
    totals = {k: float(v.sum()) for k, v in linked.items()} | {"trading": trading_linked}
    return {
        "method": "brinson",
        "source": "stored",
        "frequency": frequency,
        "linking": linking,
        "benchmark": label,
        "periods": len(rp_total),
        "start": iso_utc(hp.dates[0]),
        "end": iso_utc(hp.dates[-1]),
        "portfolio_return": total_p,
        "benchmark_return": total_b,
        "excess_return": total_p - total_b,
        "totals": totals | {"total": float(sum(totals.values()))},
        "sectors": [
            {"sector": s, "portfolio_weight": float(wp[-1, j]), "benchmark_weight": float(wb[-1, j])}
            | {k: float(v[j]) for k, v in linked.items()}
            | {"total": float(sum(v[j] for v in linked.values()))}
            for j, s in enumerate(names)
        ],
        "by_period": [
            {
                "date": iso_utc(ts),
                "portfolio_return": float(rp_total[k]),
                "benchmark_return": float(rb_total[k]),
                "allocation": float(e.allocation[k].sum()),
                "selection": float(e.selection[k].sum()),
                "interaction": float(e.interaction[k].sum()),
                "trading": float(trading[k]),
            }
            for k, ts in enumerate(hp.dates)
        ],
        "conventions": {
            "weights": "start of each period: value held / NAV; sectors' weights are the last period's",
            "trading": "excess return the start-of-period holdings do not explain (fees, dividends, "
            "trades at prices other than the close, flows), linked like the other effects",
            "total": "allocation + selection + interaction + trading = excess_return",
        },
    }


def benchmark_model(benchmark) -> dict:
    """Check the shape of a model benchmark: {"portfolio": CODE} or {"weights": {...}}."""
    if isinstance(benchmark, str):
        raise ValidationError(
            {
                "benchmark": f"{benchmark!r} is a single instrument: it has no sector weights. "
                f'Use {{"weights": {{"{benchmark}": 1}}}} for it as a model, or: {BENCHMARK_HELP}'
            }
        )
    if not isinstance(benchmark, dict) or len(set(benchmark) & {"portfolio", "weights"}) != 1:
        raise ValidationError({"benchmark": BENCHMARK_HELP})
    return benchmark
