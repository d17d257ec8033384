"""/api/risk/: limits, checks and monitor, breaches and escalation policies, VaR/ES and backtests,
stress tests and scenarios, risk reports."""

from django.urls import path

from .api.breaches import (
    BreachAcknowledge,
    BreachDetail,
    BreachEscalate,
    BreachList,
    BreachNote,
    BreachResolve,
    PolicyDetail,
    PolicyListCreate,
    PortfolioBreachList,
)
from .api.checks import CheckView, MonitorStartView, MonitorStatusView, MonitorStopView
from .api.limits import LimitTypeList, RiskLimitDetail, RiskLimitHistory, RiskLimitListCreate
from .api.reports import ReportDownloadView, ReportGenerateView
from .api.stress import ScenarioDetailView, ScenarioListView, StressView
from .api.var import BacktestView, VarView

app_name = "risk"
urlpatterns = [
    # limits
    path("limits", RiskLimitListCreate.as_view(), name="limit-list"),
    path("limits/<int:limit_id>", RiskLimitDetail.as_view(), name="limit-detail"),
    path("limits/<int:limit_id>/history", RiskLimitHistory.as_view(), name="limit-history"),
    path("limit-types", LimitTypeList.as_view(), name="limit-types"),
    # checks and the monitor
    path("check/<str:portfolio_id>", CheckView.as_view(), name="check"),
    path("monitor/start", MonitorStartView.as_view(), name="monitor-start"),
    path("monitor/stop", MonitorStopView.as_view(), name="monitor-stop"),
    path("monitor/status", MonitorStatusView.as_view(), name="monitor-status"),
    # breaches and escalation policies
    path("breaches", BreachList.as_view(), name="breach-list-all"),
    path("breaches/<str:portfolio>", PortfolioBreachList.as_view(), name="breach-list"),
    path("breach/<int:breach_id>", BreachDetail.as_view(), name="breach-detail"),
    path("breach/<int:breach_id>/acknowledge", BreachAcknowledge.as_view(), name="breach-acknowledge"),
    path("breach/<int:breach_id>/escalate", BreachEscalate.as_view(), name="breach-escalate"),
    path("breach/<int:breach_id>/resolve", BreachResolve.as_view(), name="breach-resolve"),
    path("breach/<int:breach_id>/note", BreachNote.as_view(), name="breach-note"),
    path("escalation-policies", PolicyListCreate.as_view(), name="escalation-policy-list"),
    path("escalation-policies/<int:pk>", PolicyDetail.as_view(), name="escalation-policy-detail"),
    # VaR / ES, stress, scenarios, reports
    path("var/<str:portfolio>", VarView.as_view(), name="var"),
    path("backtest/<str:portfolio>", BacktestView.as_view(), name="var-backtest"),
    path("stress/<str:portfolio>", StressView.as_view(), name="stress"),
    path("scenarios", ScenarioListView.as_view(), name="scenario-list"),
    path("scenarios/<int:scenario_id>", ScenarioDetailView.as_view(), name="scenario-detail"),
    path("report/generate", ReportGenerateView.as_view(), name="report-generate"),
    path("reports/<uuid:job_id>/download", ReportDownloadView.as_view(), name="report-download"),
]
