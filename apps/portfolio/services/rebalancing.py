"""Rebalance proposals: target weights (an optimization's, or given) to whole-lot orders from the
current positions, the latest closes and the cash (kernels/rebalance.py states the rounding), checked
through the risk engine's facade (each limit's utilization before and after the orders); accepting
books the orders as paper transactions through the book of record and publishes
`trading.orders.{code}` per order (each booking publishes its `trading.executions.{code}`).

A proposal whose after-state breaches a limit is accepted only with an override reason, by staff or
a user with `portfolio.override_rebalance`; the reason and who gave it are kept."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from apps.marketdata import facade as marketdata
from apps.risk import facade as risk

from ..kernels.rebalance import rebalance
from ..models import Optimization, Portfolio, Position, ProposalStatus, RebalanceProposal
from ..selectors.access import can_book
from .events import as_str, publish_on_commit
from .transactions import transaction_record

PRICE_PLACES = Decimal("0.00000001")
QTY_PLACES = Decimal("0.0000000001")


class ProposalDecided(Exception):
    """The proposal was accepted or rejected already (an API view answers 409)."""


def _dec(x: float, places: Decimal) -> Decimal:
    return Decimal(repr(float(x))).quantize(places)


def _targets(optimization: Optimization | None, target_weights: dict | None) -> dict[str, float]:
    if (optimization is None) == (target_weights is None):
        raise ValidationError({"optimization": "give an optimization or target_weights (one of them)"})
    if optimization is not None:
        if not optimization.weights:
            raise ValidationError({"optimization": f"optimization {optimization.pk} has no weights"})
        return dict(optimization.weights)
    return {s.strip().upper(): float(w) for s, w in target_weights.items()}


def _risk(portfolio: Portfolio, orders: list[dict]) -> tuple[str, bool, dict]:
    result = risk.pre_trade_check(
        portfolio.pk,
        [
            risk.Order(
                symbol=o["symbol"], side=o["side"], quantity=float(o["quantity"]), price=float(o["price"])
            )
            for o in orders
        ],
    )
    limits = [
        {
            k: getattr(lim, k)
            for k in (
                "limit_id",
                "name",
                "limit_type",
                "status_before",
                "status",
                "utilization_before",
                "utilization",
            )
        }
        for lim in result.limits
    ]
    breach = any(lim["status"] == "breach" for lim in limits) or bool(result.errors)
    doc = {
        "approved": result.approved,
        "limits": limits,
        "reasons": list(result.reasons),
        "errors": list(result.errors),
        "nav_before": result.nav_before,
        "nav_after": result.nav,
    }
    return result.verdict, breach, doc


@transaction.atomic
def proposal_create(
    *,
    portfolio: Portfolio,
    optimization: Optimization | None = None,
    target_weights: dict[str, float] | None = None,
    lot_sizes: dict[str, float] | None = None,
    cash_buffer: float = 0.0,
    user=None,
) -> RebalanceProposal:
    """Whole-lot orders from the portfolio's positions toward the target weights (symbols the
    portfolio holds and the target leaves out go to 0), with the risk engine's verdict."""
    if optimization is not None and optimization.portfolio_id != portfolio.pk:
        raise ValidationError({"optimization": "that optimization is of another portfolio"})
    targets = _targets(optimization, target_weights)
    held = dict(Position.objects.filter(portfolio=portfolio).values_list("instrument__symbol", "quantity"))
    symbols = sorted(set(targets) | set(held))
    found = marketdata.instruments_by_symbols(symbols)
    unknown = [s for s in symbols if s not in found]
    if unknown:
        raise ValidationError({"target_weights": f"unknown symbols: {', '.join(unknown)}"})
    lot_sizes = {s.strip().upper(): float(v) for s, v in (lot_sizes or {}).items()}
    if set(lot_sizes) - set(symbols):
        raise ValidationError(
            {"lot_sizes": f"symbols not in the rebalance: {sorted(set(lot_sizes) - set(symbols))}"}
        )
    closes = marketdata.latest_prices(symbols)
    missing = [s for s in symbols if not np.isfinite(closes[s])]
    if missing:
        raise ValidationError({"target_weights": f"no price for {', '.join(missing)}"})
    fx = np.array([marketdata.fx_rate(found[s].currency, portfolio.base_currency) for s in symbols])
    prices = closes.reindex(symbols).to_numpy(dtype=float)
    plan = rebalance(
        np.array([targets.get(s, 0.0) for s in symbols]),
        np.array([float(held.get(s, 0)) for s in symbols]),
        prices * fx,
        np.array([lot_sizes.get(s, 1.0) for s in symbols]),
        float(portfolio.cash),
        cash_buffer=cash_buffer,
    )
    orders = []
    for i in np.flatnonzero(plan.trade != 0):
        s, lot = symbols[i], lot_sizes.get(symbols[i], 1.0)
        qty = abs(plan.trade[i])
        orders.append(
            {
                "symbol": s,
                "side": "buy" if plan.trade[i] > 0 else "sell",
                "lots": qty / lot,
                "lot_size": lot,
                "quantity": as_str(_dec(qty, QTY_PLACES)),
                "price": as_str(_dec(prices[i], PRICE_PLACES)),
                "currency": found[s].currency,
            }
        )
    notes = [
        "targets rounded toward zero to whole lots; prices: the latest closes",
        f"cash buffer {cash_buffer:g} of the NAV kept in cash",
    ]
    if plan.cut_lots:
        notes.append(f"{plan.cut_lots} lots cut from the largest buys to keep the cash buffer")
    verdict, breach, check = _risk(portfolio, orders) if orders else ("pass", False, {"limits": []})
    cash_before = portfolio.cash
    cash_after = cash_before - sum(
        (Decimal(o["quantity"]) * Decimal(o["price"]) * Decimal(repr(float(fx[symbols.index(o["symbol"])]))))
        * (1 if o["side"] == "buy" else -1)
        for o in orders
    )
    return RebalanceProposal.objects.create(
        portfolio=portfolio,
        optimization=optimization,
        target_weights=targets,
        lot_sizes=lot_sizes,
        cash_buffer=Decimal(repr(float(cash_buffer))),
        orders=orders,
        prices={s: float(p) for s, p in zip(symbols, prices, strict=True)},
        nav=_dec(plan.nav, PRICE_PLACES),
        cash_before=cash_before,
        cash_after=cash_after.quantize(PRICE_PLACES),
        risk_verdict=verdict,
        risk_breach=breach,
        risk_check=check,
        notes=notes,
        created_by=user if user is not None and user.is_authenticated else None,
    )


def _decidable(proposal: RebalanceProposal, user) -> RebalanceProposal:
    locked = RebalanceProposal.objects.select_for_update().select_related("portfolio").get(pk=proposal.pk)
    if not can_book(user, locked.portfolio):
        raise PermissionDenied("Only the portfolio's owner or staff may decide its proposals.")
    if locked.status != ProposalStatus.PROPOSED:
        raise ProposalDecided(f"proposal {locked.pk} is already {locked.status}")
    return locked


@transaction.atomic
def proposal_accept(*, proposal: RebalanceProposal, user, override_reason: str = "") -> RebalanceProposal:
    """Book the orders (sells first, so their cash pays for the buys) as paper transactions."""
    p = _decidable(proposal, user)
    override_reason = (override_reason or "").strip()
    if p.risk_breach:
        if not override_reason:
            raise ValidationError(
                {"override_reason": "the orders breach a risk limit: accepting needs an override reason"}
            )
        if not (user.is_staff or user.has_perm("portfolio.override_rebalance")):
            raise PermissionDenied("Overriding a risk breach needs staff or portfolio.override_rebalance.")
    now = timezone.now()
    ids = []
    for o in sorted(p.orders, key=lambda o: o["side"] != "sell"):
        tx = transaction_record(
            portfolio=p.portfolio,
            type=o["side"],
            instrument=o["symbol"],
            quantity=Decimal(o["quantity"]),
            price=Decimal(o["price"]),
            timestamp=now,
            created_by=user,
        )
        ids.append(tx.pk)
        publish_on_commit(
            f"trading.orders.{p.portfolio.code}",
            {
                "kind": "order",
                "status": "filled",
                "portfolio": p.portfolio.code,
                "portfolio_id": p.portfolio_id,
                "proposal_id": p.pk,
                "transaction_id": tx.pk,
                **{k: o[k] for k in ("symbol", "side", "quantity", "price", "lots")},
                "override": bool(p.risk_breach),
            },
        )
    p.status = ProposalStatus.ACCEPTED
    p.override_reason = override_reason if p.risk_breach else ""
    p.decided_by, p.decided_at, p.transaction_ids = user, now, ids
    p.save(update_fields=["status", "override_reason", "decided_by", "decided_at", "transaction_ids"])
    return p


@transaction.atomic
def proposal_reject(*, proposal: RebalanceProposal, user) -> RebalanceProposal:
    p = _decidable(proposal, user)
    p.status, p.decided_by, p.decided_at = ProposalStatus.REJECTED, user, timezone.now()
    p.save(update_fields=["status", "decided_by", "decided_at"])
    return p
