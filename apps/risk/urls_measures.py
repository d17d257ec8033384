"""/api/risk/: VaR/ES and backtests, stress tests and scenarios, risk reports."""

from django.urls import path

from .api_measures import (
    BacktestView,
    ReportDownloadView,
    ReportGenerateView,
    ScenarioDetailView,
    ScenarioListView,
    StressView,
    VarView,
)

urlpatterns: list = [
    path("var/<str:portfolio>", VarView.as_view(), name="var"),
    path("backtest/<str:portfolio>", BacktestView.as_view(), name="var-backtest"),
    path("stress/<str:portfolio>", StressView.as_view(), name="stress"),
    path("scenarios", ScenarioListView.as_view(), name="scenario-list"),
    path("scenarios/<int:scenario_id>", ScenarioDetailView.as_view(), name="scenario-detail"),
    path("report/generate", ReportGenerateView.as_view(), name="report-generate"),
    path("reports/<uuid:job_id>/download", ReportDownloadView.as_view(), name="report-download"),
]
