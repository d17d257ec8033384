"""Reads of breaches and escalation policies for the API (querysets, so DRF paginates them)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from ..models import Breach, BreachStatus, EscalationPolicy


def breaches_all() -> QuerySet:
    """Every breach with the portfolio and the users who acted on it."""
    return Breach.objects.select_related("portfolio", "acknowledged_by", "escalated_by", "resolved_by")


def breaches_none() -> QuerySet:
    return Breach.objects.none()


def breaches_visible(portfolio_ids: Iterable[int] | None) -> QuerySet:
    """The breaches of these portfolios (None: every breach)."""
    qs = breaches_all()
    return qs if portfolio_ids is None else qs.filter(portfolio_id__in=portfolio_ids)


def breaches_of_portfolio(portfolio_id: int) -> QuerySet:
    return breaches_all().filter(portfolio_id=portfolio_id)


def breaches_filtered(qs: QuerySet, q: dict) -> QuerySet:
    """`qs` narrowed by the list endpoint's validated query (status, level, type, severity, active,
    since, until), newest first."""
    if q.get("status"):
        qs = qs.filter(status__in=q["status"])
    if q.get("level"):
        qs = qs.filter(level=q["level"])
    if q.get("type"):
        qs = qs.filter(limit_type=q["type"])
    if q.get("severity"):
        qs = qs.filter(severity=q["severity"])
    if q.get("active") is True:
        qs = qs.exclude(status=BreachStatus.RESOLVED)
    elif q.get("active") is False:
        qs = qs.filter(status=BreachStatus.RESOLVED)
    if q.get("since"):
        qs = qs.filter(opened_at__gte=q["since"])
    if q.get("until"):
        qs = qs.filter(opened_at__lt=q["until"])
    return qs.order_by("-opened_at", "-id")


def breach_get(breach_id: int) -> Breach | None:
    return breaches_all().filter(pk=breach_id).first()


def breach_detail_get(breach_id: int) -> Breach:
    """One breach with its events and deliveries (DoesNotExist when it is gone)."""
    return breaches_all().prefetch_related("events__by", "deliveries").get(pk=breach_id)


def policies_all() -> QuerySet:
    return EscalationPolicy.objects.prefetch_related("levels")


def policies_by_name() -> QuerySet:
    return policies_all().order_by("name")


def policy_get(pk: int) -> EscalationPolicy | None:
    return policies_all().filter(pk=pk).first()


def breaches_open(portfolio_id: int) -> list[Breach]:
    """The unresolved breaches of one portfolio, oldest first."""
    return list(
        Breach.objects.filter(portfolio_id=portfolio_id)
        .exclude(status=BreachStatus.RESOLVED)
        .order_by("opened_at", "id")
    )
