"""Breaches and escalation policies straight through the ORM, for the breach life cycle, escalation,
webhook and breach API tests (they must not depend on the monitor)."""

from __future__ import annotations

import datetime as dt

T0 = dt.datetime(2024, 3, 1, 12, 0, 0, tzinfo=dt.UTC)


def make_portfolio(code: str, *, owner, group=None):
    from apps.portfolio.services import portfolio_create

    return portfolio_create(code=code, name=code, owner=owner, group=group)


def make_breach(portfolio, *, limit=None, opened_at=T0, **fields):
    """An open max_position breach of `portfolio` (every required field filled)."""
    from apps.risk.models import Breach

    values = {
        "limit_type": "max_position",
        "scope": "portfolio",
        "unit": "absolute",
        "severity": "high",
        "warn_threshold": 80.0,
        "breach_threshold": 100.0,
        "level": "breach",
        "first_value": 120.0,
        "peak_value": 130.0,
        "last_value": 125.0,
        "peak_utilization": 1.3,
        "last_utilization": 1.25,
        "opened_at": opened_at,
        "last_seen_at": opened_at,
    }
    values.update(fields)
    return Breach.objects.create(portfolio=portfolio, limit=limit, **values)


def make_limit(portfolio=None, *, policy=None, **fields):
    from apps.risk.models import RiskLimit

    values = {"limit_type": "max_position", "breach_threshold": 100.0, "warn_threshold": 80.0}
    values.update(fields)
    return RiskLimit.objects.create(portfolio=portfolio, escalation_policy=policy, **values)


def make_policy(name: str, levels: list[dict], *, is_default: bool = False):
    """levels: [{"level": 1, "delay_seconds": 30, "channels": ["bus"], "emails": "a@x", "webhook_url": ""}]"""
    from apps.risk.models import EscalationLevel, EscalationPolicy

    policy = EscalationPolicy.objects.create(name=name, is_default=is_default)
    for lv in levels:
        EscalationLevel.objects.create(
            policy=policy,
            level=lv["level"],
            delay_seconds=lv["delay_seconds"],
            channels=lv["channels"],
            emails=lv.get("emails", ""),
            webhook_url=lv.get("webhook_url", ""),
        )
    return policy


def bus_events(pattern: str) -> list:
    """Everything published so far on topics matching `pattern` (the fresh_bus starts empty)."""
    from apps.platform import bus

    return list(bus.subscribe(pattern, last_id="0", follow=False))
