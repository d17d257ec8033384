from django.urls import path

from .api.attribution import AttributionView
from .api.performance import BenchmarkView, PerformanceView
from .api.pnl import CalculateView
from .api.reports import ReportCreateView, ReportDownloadView

app_name = "analytics"

urlpatterns: list = [
    path("calculate/<str:portfolio_id>", CalculateView.as_view(), name="calculate"),
    path("performance/<str:portfolio>", PerformanceView.as_view(), name="performance"),
    path("benchmark/<str:portfolio>", BenchmarkView.as_view(), name="benchmark"),
    path("attribution/<str:portfolio>", AttributionView.as_view(), name="attribution"),
    path("reports/<uuid:job_id>/download", ReportDownloadView.as_view(), name="report-download"),
    path("reports/<str:portfolio>", ReportCreateView.as_view(), name="report-create"),
]
