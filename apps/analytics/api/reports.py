"""POST /api/analytics/reports/{portfolio} (start a tear-sheet job) and
GET /api/analytics/reports/{job_id}/download (the file, to the job's creator or staff)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from apps.platform.responses import job_response
from apps.platform.services import job_start
from apps.portfolio import facade as portfolio_facade

from ..reports.files import REPORT_FILES
from .attribution import check_benchmark_access
from .serializers.reports import ReportRequestSerializer

TASK_NAME = "apps.analytics.tasks_reports.report_generate"

REPORT_DOC = """
Starts a tear-sheet job for the portfolio on the analytics queue: `format` html or pdf (equity curve,
drawdown, monthly-returns heatmap, rolling Sharpe/beta, metrics table, attribution table) or csv/xlsx
(metrics, return series, monthly returns, attribution). The attribution is the stored book's
contribution to return and risk by sector and security over the report's periods; with `benchmark`
(`{"portfolio": "CODE"}` or `{"weights": {...}}`) a Brinson-Fachler table is added. The job's result holds `download_url`; `analytics.reports.{portfolio}` announces it.
404: unknown portfolio; 403: not yours to view; 400: bad input, by field.
"""


class ReportCreateView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Generate a tear sheet",
        description=REPORT_DOC,
        tags=["analytics"],
        request=ReportRequestSerializer,
        responses={200: OpenApiResponse(description="The job's result (with download_url)."), 202: None},
    )
    def post(self, request, portfolio: str):
        portfolio_facade.portfolio_viewable(request.user, portfolio)
        body = ReportRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        check_benchmark_access(request.user, body.validated_data.get("benchmark"))
        job = job_start(
            engine="analytics",
            task_name=TASK_NAME,
            params={"portfolio": portfolio, **body.validated_data},
            user=request.user,
        )
        return job_response(request, job)


class ReportDownloadView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Download a generated tear sheet",
        tags=["analytics"],
        responses={200: OpenApiResponse(description="The report file.")},
    )
    def get(self, request, job_id):
        return REPORT_FILES.download(request.user, job_id=job_id, task_name=TASK_NAME)
