"""What other engines may ask the risk engine (strategies, the portfolio rebalancer): the pre-trade
check of proposed orders, the open breaches and the limit utilization of a portfolio.

Plain frozen dataclasses, no HTTP: `pre_trade_check` runs the same code as
`POST /api/risk/check/{portfolio}` with orders (selectors/check.py), and a bad order comes back as a
result with `errors` (approved False) rather than an exception. An unknown portfolio raises
`UnknownPortfolio` (a ValueError).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError

from .selectors.breaches import breaches_open
from .selectors.check import portfolio_check
from .selectors.monitor import monitor_health

# As the API's BoundedFloatField: finite, magnitude at most this.
ORDER_MAX = 1e15
SIDES = ("buy", "sell")


class UnknownPortfolio(ValueError):
    """No portfolio with this id."""


@dataclass(frozen=True)
class Order:
    symbol: str
    side: str  # "buy" or "sell"
    quantity: float  # positive units; the side gives the direction
    price: float | None = None  # expected execution price in the instrument's currency; None: latest close


@dataclass(frozen=True)
class LimitCheck:
    """One limit of a pre-trade check: its measure before and after the orders."""

    limit_id: int
    limit_type: str
    name: str
    scope: str
    scope_value: str
    unit: str
    severity: str
    is_global: bool
    warn_threshold: float | None
    breach_threshold: float
    status_before: str | None  # ok, warn, breach, no_data
    status: str  # after the orders
    value_before: float | None
    value: float | None
    utilization_before: float | None  # value / breach threshold
    utilization: float | None
    bucket: str  # the bucket measured after the orders (largest, or the scoped one)
    breach_probability: float | None  # P(breach within 1 day) after the orders


@dataclass(frozen=True)
class CheckResult:
    portfolio_id: int
    portfolio: str  # code
    verdict: str  # pass, warn, reject ("reject" too when the orders are invalid)
    approved: bool  # False on reject or on invalid orders
    limits: tuple[LimitCheck, ...] = ()
    reasons: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()  # invalid orders: nothing was checked
    nav_before: float | None = None
    nav: float | None = None


@dataclass(frozen=True)
class LimitUtilization:
    limit_id: int
    limit_type: str
    name: str
    scope: str
    scope_value: str
    unit: str
    severity: str
    is_global: bool
    warn_threshold: float | None
    breach_threshold: float
    status: str  # ok, warn, breach, no_data
    value: float | None
    utilization: float | None
    bucket: str
    breach_probability: float | None


@dataclass(frozen=True)
class BreachInfo:
    breach_id: int
    limit_id: int | None
    limit_type: str
    scope: str
    scope_value: str
    unit: str
    severity: str
    status: str  # open, acknowledged, escalated
    level: str  # warn or breach
    warn_threshold: float | None
    breach_threshold: float
    last_value: float | None
    last_utilization: float | None
    peak_utilization: float | None
    bucket: str
    escalation_level: int
    opened_at: datetime


def _order_errors(orders: Sequence[Order]) -> list[str]:
    errors = []
    for k, o in enumerate(orders):
        if not str(o.symbol or "").strip():
            errors.append(f"orders[{k}]: symbol is required.")
        if o.side not in SIDES:
            errors.append(f"orders[{k}]: side must be buy or sell, not {o.side!r}.")
        try:
            qty = float(o.quantity)
        except (TypeError, ValueError):
            qty = math.nan
        if not (math.isfinite(qty) and 0 < qty <= ORDER_MAX):
            errors.append(
                f"orders[{k}]: quantity must be positive and finite (the side gives the direction)."
            )
        if o.price is not None:
            try:
                price = float(o.price)
            except (TypeError, ValueError):
                price = math.nan
            if not (math.isfinite(price) and 0 < price <= ORDER_MAX):
                errors.append(f"orders[{k}]: price must be positive and finite.")
    return errors


def _messages(exc: ValidationError) -> tuple[str, ...]:
    if hasattr(exc, "error_dict"):
        return tuple(m for msgs in exc.message_dict.values() for m in msgs)
    return tuple(exc.messages)


def _check(portfolio_id: int, orders: list[dict] | None) -> dict:
    try:
        return portfolio_check(portfolio=int(portfolio_id), orders=orders)
    except ValidationError as exc:
        if hasattr(exc, "error_dict") and "portfolio" in exc.error_dict:
            raise UnknownPortfolio(f"Unknown portfolio id {portfolio_id}.") from exc
        raise


def pre_trade_check(portfolio_id: int, orders: Sequence[Order]) -> CheckResult:
    """The portfolio's effective limits before and after `orders` and the verdict (pass, warn or
    reject), as `POST /api/risk/check/{portfolio}` answers them. Invalid orders (bad side,
    quantity or price, an unknown symbol, no price to value them at) give a result with `errors`
    and `approved` False."""
    orders = list(orders)
    errors = _order_errors(orders)
    code = ""
    if not errors:
        body = [
            {
                "symbol": str(o.symbol).strip().upper(),
                "side": o.side,
                "quantity": float(o.quantity),
                "price": None if o.price is None else float(o.price),
            }
            for o in orders
        ]
        try:
            doc = _check(portfolio_id, body)
        except ValidationError as exc:
            errors = list(_messages(exc))
    if errors:
        return CheckResult(
            portfolio_id=int(portfolio_id),
            portfolio=code,
            verdict="reject",
            approved=False,
            errors=tuple(errors),
        )
    limits = tuple(
        LimitCheck(
            **_limit_now(x),
            status_before=x["before"]["status"] if x["before"] else None,
            value_before=x["before"]["value"] if x["before"] else None,
            utilization_before=x["before"]["utilization"] if x["before"] else None,
        )
        for x in doc["limits"]
    )
    return CheckResult(
        portfolio_id=int(portfolio_id),
        portfolio=doc["portfolio"],
        verdict=doc["verdict"],
        approved=doc["verdict"] != "reject",
        limits=limits,
        reasons=tuple(doc["reasons"]),
        nav_before=doc["nav_before"],
        nav=doc["nav"],
    )


def _limit_now(x: dict) -> dict:
    """What LimitCheck and LimitUtilization share: the limit, and its measure after the orders
    (without orders: now), from one entry of the check's answer."""
    after = x["after"]
    return {
        "limit_id": x["id"],
        **{k: x[k] for k in ("limit_type", "name", "scope", "scope_value", "unit", "severity", "is_global")},
        **{k: x[k] for k in ("warn_threshold", "breach_threshold")},
        **{k: after[k] for k in ("status", "value", "utilization", "bucket", "breach_probability")},
    }


def limit_utilization(portfolio_id: int) -> tuple[LimitUtilization, ...]:
    """Every effective limit of the stored book with its value, utilization and status now (the
    check without orders)."""
    doc = _check(portfolio_id, None)
    return tuple(LimitUtilization(**_limit_now(x)) for x in doc["limits"])


def open_breaches(portfolio_id: int) -> tuple[BreachInfo, ...]:
    """The portfolio's unresolved breaches (open, acknowledged or escalated), oldest first."""
    return tuple(
        BreachInfo(
            breach_id=b.pk,
            limit_id=b.limit_id,
            limit_type=b.limit_type,
            scope=b.scope,
            scope_value=b.scope_value,
            unit=b.unit,
            severity=b.severity,
            status=b.status,
            level=b.level,
            warn_threshold=b.warn_threshold,
            breach_threshold=b.breach_threshold,
            last_value=b.last_value,
            last_utilization=b.last_utilization,
            peak_utilization=b.peak_utilization,
            bucket=b.bucket,
            escalation_level=b.escalation_level,
            opened_at=b.opened_at,
        )
        for b in breaches_open(portfolio_id)
    )


def health_checks() -> list[str]:
    """Reasons the risk engine is degraded, for the platform's /health (found there by name through
    workers/registry.py): a monitor whose runs use more than half their interval."""
    return monitor_health()
