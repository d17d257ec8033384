"""Risk reports under /api/risk/: start a report job, download its file."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from apps.platform.responses import job_response
from apps.platform.schema import error_response
from apps.platform.services import job_start

from ..reports.files import REPORT_FILES
from ..selectors.scenarios import scenario_get
from .common import body, viewable_code
from .serializers.reports import RiskReportRequestSerializer

REPORT_TASK = "apps.risk.tasks_reports.report_generate"


REPORT_DOC = """
Starts a risk report job on the risk queue for one or more portfolios: limits and utilization, open
breaches, VaR/ES by method at `confidence`, stress results (`scenarios`, or every stored scenario),
charts in PDF/HTML. Formats json, csv, xlsx, pdf, html. The job's result holds `download_url`; the
report is announced on the bus topic `risk.alerts.reports`.
"""


class ReportGenerateView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Generate a risk report",
        description=REPORT_DOC,
        tags=["risk"],
        request=RiskReportRequestSerializer,
        responses={
            200: OpenApiResponse(description="The job's result (with download_url)."),
            202: None,
            404: error_response("A portfolio named in the body does not exist."),
        },
    )
    def post(self, request):
        params = body(RiskReportRequestSerializer, request)
        codes = list(dict.fromkeys(viewable_code(request.user, key) for key in params["portfolios"]))
        named = params.get("scenarios")
        if named:
            unknown = [s for s in named if scenario_get(s) is None]
            if unknown:
                raise ValidationError({"scenarios": [f"unknown scenario {s!r}" for s in unknown]})
        job = job_start(
            engine="risk",
            task_name=REPORT_TASK,
            params={**params, "portfolios": codes, "scenarios": named},
            user=request.user,
        )
        return job_response(request, job)


class ReportDownloadView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Download a generated risk report",
        tags=["risk"],
        responses={200: OpenApiResponse(description="The report file.")},
    )
    def get(self, request, job_id):
        return REPORT_FILES.download(
            request.user, job_id=job_id, task_name=REPORT_TASK, filename_prefix="risk-report-"
        )
