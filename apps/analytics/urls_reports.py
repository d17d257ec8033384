from django.urls import path

from .api_reports import ReportCreateView, ReportDownloadView

urlpatterns: list = [
    path("reports/<uuid:job_id>/download", ReportDownloadView.as_view(), name="report-download"),
    path("reports/<str:portfolio>", ReportCreateView.as_view(), name="report-create"),
]
