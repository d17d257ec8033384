"""The method parameters that name assets, mapped onto the assets an optimization keeps: a
Black-Litterman request's views (picks P, returns Q, confidences) and a benchmark (weights over the
universe) for tracking-error optimization or a Black-Litterman prior.

A benchmark is given as `{"weights": {symbol: w}}`, `{"symbol": "SPY"}`, `{"portfolio": "code"}` or,
when absent, is the portfolio's own benchmark instrument. The rule: **a benchmark lies inside the
universe** — every symbol it holds must be one of the optimization's assets (add the benchmark's
symbol or holdings to `universe`), because the tracking error is measured with the universe's
covariance. Weights are normalized to sum to 1 (a portfolio benchmark: its positions at the latest
closes, cash left out). Errors are ValidationErrors keyed by the request field."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.core.exceptions import ValidationError

from ..models import Portfolio
from .access import can_view
from .optimization_inputs import current_weights


@dataclass(frozen=True)
class Views:
    picks: np.ndarray  # (K, N) over the kept assets
    returns: np.ndarray  # (K,)
    confidences: np.ndarray | None  # (K,) or None (He-Litterman omega)
    described: tuple[dict, ...]  # each view as the answer shows it


@dataclass(frozen=True)
class Benchmark:
    weights: np.ndarray  # (N,) over the kept assets, summing to 1
    source: str


def _legs(view: dict) -> tuple[list[str], list[str]]:
    if view.get("asset"):
        return [view["asset"]], []
    return list(view.get("long") or []), list(view.get("short") or [])


def views_from_params(views: list[dict], symbols: list[str], *, omega: str) -> Views:
    """P, Q and confidences over `symbols` (the assets kept). A view on an asset outside them is a
    400 on that view's field. A relative view weighs its long leg +1 and its short leg -1, shared
    equally among each leg's names (PyPortfolioOpt's convention for baskets)."""
    position = {s: i for i, s in enumerate(symbols)}
    picks = np.zeros((len(views), len(symbols)))
    errors: dict[str, str] = {}
    described = []
    for k, view in enumerate(views):
        long, short = _legs(view)
        for field, names in (("asset" if view.get("asset") else "long", long), ("short", short)):
            missing = [s for s in names if s not in position]
            if missing:
                errors[f"params.views[{k}].{field}"] = (
                    f"not among the optimization's assets: {', '.join(missing)} (outside the universe, "
                    "or dropped by the missing-data policy)"
                )
        if errors:
            continue
        picks[k, [position[s] for s in long]] = 1.0 / len(long)
        if short:
            picks[k, [position[s] for s in short]] = -1.0 / len(short)
        kind = "relative" if short else "absolute"
        described.append(
            {
                "kind": kind,
                "long": long,
                "short": short,
                "return": float(view["return"]),
                "confidence": view.get("confidence") if omega == "idzorek" else None,
            }
        )
    if errors:
        raise ValidationError(errors)
    confidences = None
    if omega == "idzorek":
        confidences = np.array([float(v["confidence"]) for v in views])
    q = np.array([float(v["return"]) for v in views])
    return Views(picks, q, confidences, tuple(described))


def _normalized(weights: np.ndarray, field: str) -> np.ndarray:
    total = float(weights.sum())
    if not total > 1e-12:
        raise ValidationError({field: "the benchmark's weights must sum to more than 0"})
    return weights / total


def benchmark_from_params(spec: dict | None, *, portfolio: Portfolio, symbols: list[str], user) -> Benchmark:
    """The benchmark's weights over `symbols` (module docstring for the forms and the rule)."""
    position = {s: i for i, s in enumerate(symbols)}
    if not spec:
        if portfolio.benchmark_id is None:
            raise ValidationError(
                {"params.benchmark": "required: the portfolio has no benchmark instrument to default to"}
            )
        spec = {"symbol": portfolio.benchmark.symbol}
        source = f"the portfolio's benchmark {spec['symbol']}"
    else:
        source = ""
    if "symbol" in spec:
        symbol = spec["symbol"]
        if symbol not in position:
            raise ValidationError(
                {
                    "params.benchmark.symbol": f"{symbol} is not among the optimization's assets: add it to universe"
                }
            )
        weights = np.zeros(len(symbols))
        weights[position[symbol]] = 1.0
        return Benchmark(weights, source or f"the instrument {symbol}")
    if "weights" in spec:
        outside = sorted(set(spec["weights"]) - set(position))
        if outside:
            raise ValidationError(
                {
                    "params.benchmark.weights": f"symbols outside the optimization's assets: {', '.join(outside)}"
                }
            )
        raw = np.array([spec["weights"].get(s, 0.0) for s in symbols], dtype=float)
        return Benchmark(
            _normalized(raw, "params.benchmark.weights"), "the given weights, normalized to sum 1"
        )
    code = spec["portfolio"]
    other = Portfolio.objects.filter(code=code).first()
    if other is None or not can_view(user, other):
        raise ValidationError({"params.benchmark.portfolio": f"no portfolio {code!r} that you may view"})
    held = list(other.positions.values_list("instrument__symbol", flat=True))
    outside = sorted(set(held) - set(position))
    if outside:
        raise ValidationError(
            {
                "params.benchmark.portfolio": f"{code} holds symbols outside the optimization's assets: "
                f"{', '.join(outside)}"
            }
        )
    raw = current_weights(other, symbols)
    return Benchmark(
        _normalized(raw, "params.benchmark.portfolio"),
        f"portfolio {code}: its positions at the latest closes, cash left out, normalized to sum 1",
    )
