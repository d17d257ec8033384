"""What a breach announces on risk.breaches.{portfolio}: {"event": ..., "breach": breach_payload(...)}.

Events: opened, level_raised, resolved (the monitor: once each, never on an unchanged tick) and the
people's actions (acknowledged, escalated, resolved, noted). Callers that know the portfolio's code
pass it, which saves reading the portfolio row through the breach's foreign key."""

from __future__ import annotations

import logging

from apps.platform import bus
from apps.platform.timestamps import iso_utc

from ..models import Breach

log = logging.getLogger("apps.risk.breaches")


def breach_payload(breach: Breach, *, portfolio_code: str | None = None) -> dict:
    """The breach as JSON-ready data (also the body of escalation alerts)."""
    return {
        "id": breach.pk,
        "portfolio": portfolio_code or breach.portfolio.code,
        "portfolio_id": breach.portfolio_id,
        "limit_id": breach.limit_id,
        "limit_type": breach.limit_type,
        "scope": breach.scope,
        "scope_value": breach.scope_value,
        "unit": breach.unit,
        "severity": breach.severity,
        "warn_threshold": breach.warn_threshold,
        "breach_threshold": breach.breach_threshold,
        "status": breach.status,
        "level": breach.level,
        "first_value": breach.first_value,
        "peak_value": breach.peak_value,
        "last_value": breach.last_value,
        "peak_utilization": breach.peak_utilization,
        "last_utilization": breach.last_utilization,
        "bucket": breach.bucket,
        "opened_at": iso_utc(breach.opened_at),
        "last_seen_at": iso_utc(breach.last_seen_at),
        "below_since": iso_utc(breach.below_since),
        "acknowledged_at": iso_utc(breach.acknowledged_at),
        "acknowledged_by": breach.acknowledged_by_id,
        "escalation_level": breach.escalation_level,
        "escalated_at": iso_utc(breach.escalated_at),
        "escalated_by": breach.escalated_by_id,
        "next_escalation_at": iso_utc(breach.next_escalation_at),
        "resolved_at": iso_utc(breach.resolved_at),
        "resolved_by": breach.resolved_by_id,
        "resolution": breach.resolution,
    }


def breach_publish_many(changes: list[tuple[Breach, str, str | None]]) -> None:
    """breach_publish of each (breach, event, portfolio code or None), in order, in few round trips
    (a run opening thousands of breaches at once). Call it after commit; a bus fault is logged,
    never raised."""
    try:
        events = []
        for breach, event, code in changes:
            code = code or breach.portfolio.code
            events.append(
                (
                    f"risk.breaches.{code}",
                    {"event": event, "breach": breach_payload(breach, portfolio_code=code)},
                )
            )
        bus.publish_many(events)
    except Exception:  # noqa: BLE001
        log.exception("could not publish %d breach event(s)", len(changes))


def breach_publish(breach: Breach, event: str, *, portfolio_code: str | None = None) -> None:
    """Publish `event` (opened, level_raised, acknowledged, escalated, resolved, noted...) for the
    breach. Call it after commit; a bus fault is logged, never raised (the breach is already
    committed)."""
    try:
        code = portfolio_code or breach.portfolio.code
        bus.publish(
            f"risk.breaches.{code}",
            {"event": event, "breach": breach_payload(breach, portfolio_code=code)},
        )
    except Exception:  # noqa: BLE001
        log.exception("could not publish breach %s %s", breach.pk, event)
