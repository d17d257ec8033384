"""The pre-trade check as a task, for engines that reach risk through Celery (strategies, the
portfolio rebalancer). It is the only task routed to risk's fast lane (`risk_fast`, see
workers/registry.py), so it never waits behind a `monitor_run`, and the lane's prefork pool enforces
its short time limits."""

from __future__ import annotations

import dataclasses

from celery import shared_task

from .. import facade


@shared_task(name="apps.risk.tasks.pre_trade_check", acks_late=False)
def pre_trade_check(portfolio_id: int, orders: list[dict]) -> dict:
    """`orders`: [{"symbol", "side", "quantity", "price"?}]; answers the facade's CheckResult as JSON.
    Not acks_late: a check is read-only and its caller is waiting; redelivering it later is useless."""
    parsed = [
        facade.Order(
            symbol=o.get("symbol"), side=o.get("side"), quantity=o.get("quantity"), price=o.get("price")
        )
        for o in orders
    ]
    return dataclasses.asdict(facade.pre_trade_check(portfolio_id, parsed))
