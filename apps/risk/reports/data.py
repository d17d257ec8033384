"""The figures of a risk report, gathered once and shared by every renderer.

Everything comes from the selectors behind the APIs — `portfolio_check` (limits and utilization),
the open breaches as `breach_payload` gives them, `var_calculate` for each method with the API's
defaults (1 day, 250 days of history, sample covariance, 10,000 paths with seed 42) and
`stress_run` — so a report can never disagree with the API asked the same question. A section that
cannot be computed for a portfolio (no price history, say) is reported with its reason instead of
failing the whole report.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.marketdata.facade import MarketDataReadError
from apps.platform.timestamps import iso_utc
from apps.portfolio import facade as portfolio_facade

from ..models import Breach, BreachStatus, StressScenario
from ..selectors.check import portfolio_check
from ..selectors.stress import stress_run
from ..selectors.var import METHODS, pnl_history, portfolio_book, var_calculate
from ..services.breach_events import breach_payload

SECTION_ERRORS = (ValidationError, MarketDataReadError)


@dataclass(frozen=True)
class PortfolioRisk:
    portfolio: str
    currency: str
    nav: float | None
    check: dict | None  # portfolio_check's answer, verbatim
    breaches: list[dict]  # open (unresolved) breaches, breach_payload each
    var: dict[str, dict]  # method -> var_calculate's answer
    stress: dict | None  # stress_run's answer
    pnl: pd.Series  # holdings-based daily P&L behind the historical VaR (the distribution chart)
    errors: dict[str, str] = field(default_factory=dict)  # section -> why it is missing

    @property
    def limits(self) -> list[dict]:
        return (self.check or {}).get("limits", [])


@dataclass(frozen=True)
class RiskReportData:
    generated_at: str
    confidence: float
    scenarios: list[str]
    portfolios: list[PortfolioRisk]


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return (
            "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            if hasattr(exc, "error_dict")
            else " ".join(exc.messages)
        )
    return str(exc)


def _open_breaches(portfolio_id: int) -> list[dict]:
    rows = (
        Breach.objects.filter(portfolio_id=portfolio_id)
        .exclude(status=BreachStatus.RESOLVED)
        .select_related("portfolio")
        .order_by("-opened_at", "-id")
    )
    return [breach_payload(b) for b in rows]


def _portfolio_risk(code: str, confidence: float, scenarios: list[str]) -> PortfolioRisk:
    info = portfolio_facade.portfolio_get(code)
    if info is None:
        raise ValidationError({"portfolios": f"unknown portfolio {code!r}"})
    errors: dict[str, str] = {}
    check = None
    try:
        check = portfolio_check(portfolio=info)
    except SECTION_ERRORS as exc:
        errors["limits"] = _message(exc)
    book = portfolio_book(portfolio=info.code)
    var = {}
    for method in METHODS:
        try:
            var[method] = var_calculate(portfolio=info.code, method=method, confidence=confidence, book=book)
        except SECTION_ERRORS as exc:
            errors[f"var.{method}"] = _message(exc)
    stress = None
    if scenarios:
        try:
            stress = stress_run(portfolio=info.code, scenarios=scenarios, book=book)
        except SECTION_ERRORS as exc:
            errors["stress"] = _message(exc)
    try:
        pnl = pnl_history(book=book)
    except SECTION_ERRORS:
        pnl = pd.Series(dtype=float)
    return PortfolioRisk(
        portfolio=info.code,
        currency=info.base_currency,
        nav=book.nav,
        check=check,
        breaches=_open_breaches(info.id),
        var=var,
        stress=stress,
        pnl=pnl,
        errors=errors,
    )


def report_data_gather(
    *, portfolios: list[str], confidence: float = 0.99, scenarios: list[str] | None = None
) -> RiskReportData:
    """Every figure of the report; `scenarios` None means every stored scenario (by name)."""
    if scenarios is None:
        scenarios = list(StressScenario.objects.order_by("name").values_list("name", flat=True))
    return RiskReportData(
        generated_at=iso_utc(timezone.now()),
        confidence=float(confidence),
        scenarios=list(scenarios),
        portfolios=[_portfolio_risk(code, confidence, scenarios) for code in portfolios],
    )
