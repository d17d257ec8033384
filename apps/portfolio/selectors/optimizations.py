"""Reads of stored optimizations and rebalance proposals, and their JSON documents."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from apps.platform.timestamps import iso_utc

from ..models import Optimization, Portfolio, RebalanceProposal


def portfolio_by_key(key: int | str) -> Portfolio | None:
    """A portfolio by id (digits) or code."""
    key = str(key)
    q = Portfolio.objects.filter(pk=int(key)) if key.isdigit() else Portfolio.objects.filter(code=key)
    return q.first()


def optimization_get(optimization_id: int) -> Optimization | None:
    return Optimization.objects.select_related("portfolio").filter(pk=optimization_id).first()


@dataclass(frozen=True)
class StoredWeights:
    optimization_id: int
    weights: np.ndarray  # in the order of the symbols asked for


RECENT = 20  # how far back to look for a run over the same assets


def last_weights(portfolio_id: int, symbols: list[str]) -> StoredWeights | None:
    """The weights of the portfolio's latest optimization over exactly `symbols` (the seed of the
    next solve over them: a re-run, or the next run as the book is rebalanced), or None."""
    wanted = set(symbols)
    rows = (
        Optimization.objects.filter(portfolio_id=portfolio_id)
        .exclude(weights={})
        .order_by("-created_at", "-pk")
        .values_list("pk", "weights")[:RECENT]
    )
    for pk, weights in rows:
        if set(weights) == wanted:
            return StoredWeights(pk, np.array([float(weights[s]) for s in symbols]))
    return None


def proposal_get(proposal_id: int) -> RebalanceProposal | None:
    return RebalanceProposal.objects.select_related("portfolio").filter(pk=proposal_id).first()


def optimization_document(o: Optimization) -> dict:
    return {
        "id": o.pk,
        "portfolio": o.portfolio.code,
        "portfolio_id": o.portfolio_id,
        "method": o.method,
        "status": o.status,
        "estimator": o.estimator,
        "constraints": o.constraints,
        "params": o.params,
        "universe": o.universe,
        "window": {"start": iso_utc(o.window_start), "end": iso_utc(o.window_end)},
        "inputs": o.inputs,
        "inputs_fingerprint": o.inputs_fingerprint,
        "weights": o.weights,
        "expected_return": o.expected_return,
        "volatility": o.volatility,
        "sharpe": o.sharpe,
        "risk_contributions": o.risk_contributions,
        "solver": o.solver or None,
        "mip_gap": o.mip_gap,
        "attempts": o.attempts,
        "timings": o.timings,
        "notes": o.notes,
        "infeasibility": o.infeasibility,
        "details": o.details,
        "has_frontier": bool(o.frontier),
        "rerun_of": o.rerun_of_id,
        "created_by": o.created_by_id,
        "created_at": iso_utc(o.created_at),
    }


def proposal_document(p: RebalanceProposal) -> dict:
    return {
        "id": p.pk,
        "portfolio": p.portfolio.code,
        "portfolio_id": p.portfolio_id,
        "optimization": p.optimization_id,
        "status": p.status,
        "target_weights": p.target_weights,
        "lot_sizes": p.lot_sizes,
        "cash_buffer": format(p.cash_buffer, "f"),
        "orders": p.orders,
        "prices": p.prices,
        "nav": format(p.nav, "f"),
        "cash_before": format(p.cash_before, "f"),
        "cash_after": format(p.cash_after, "f"),
        "risk": {"verdict": p.risk_verdict, "breach": p.risk_breach, **p.risk_check},
        "notes": p.notes,
        "override_reason": p.override_reason or None,
        "decided_by": p.decided_by_id,
        "decided_at": iso_utc(p.decided_at) if p.decided_at else None,
        "transaction_ids": p.transaction_ids,
        "created_at": iso_utc(p.created_at),
    }
