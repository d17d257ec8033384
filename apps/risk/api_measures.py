"""Risk measures, stress tests, stress scenarios and risk reports under /api/risk/.

Reads need view access to the portfolio (owner, group, staff); scenarios are global and readable by
any authenticated user, written by staff or holders of risk.add_/change_/delete_stressscenario.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.marketdata.facade import MarketDataReadError
from apps.platform.responses import job_response
from apps.platform.schema import error_response
from apps.platform.services import job_start
from apps.portfolio import facade as portfolio_facade

from .reports.files import REPORT_FILES
from .serializers_measures import (
    BacktestRequestSerializer,
    RiskReportRequestSerializer,
    ScenarioSerializer,
    ScenarioWriteSerializer,
    StressRequestSerializer,
    VarRequestSerializer,
)
from .services import measures, scenarios, stress

REPORT_TASK = "apps.risk.tasks_reports.report_generate"


def _api_error(exc: DjangoValidationError) -> ValidationError:
    if hasattr(exc, "error_dict"):
        return ValidationError(exc.message_dict)
    return ValidationError({"non_field_errors": exc.messages})


def _call(fn, **kwargs):
    """A service call whose invalid input answers 400 by field."""
    try:
        return fn(**kwargs)
    except DjangoValidationError as exc:
        raise _api_error(exc) from exc
    except MarketDataReadError as exc:
        raise ValidationError({"portfolio": str(exc)}) from exc


def viewable_code(user, key: str) -> str:
    """The portfolio's code if `user` may view it: 404 unknown, 403 someone else's."""
    return portfolio_facade.portfolio_viewable(user, key).code


def _body(serializer_class, request):
    body = serializer_class(data=request.data if request.data is not None else {})
    body.is_valid(raise_exception=True)
    return body.validated_data


VAR_DOC = """
Value at Risk and Expected Shortfall of the stored book (today's holdings × the last `window` daily
returns), losses positive, in the base currency and as a fraction of NAV. Methods: historical
(empirical quantile, √h scaling), normal and cornish_fisher (parametric from the P&L's mean, the
covariance estimate's σ and, for CF, skew/excess kurtosis), monte_carlo (seeded multivariate normal).
Per position: marginal and component VaR of the normal parametric VaR (Euler; they sum to
`components.var`), plus scenario contributions for the historical method.
"""

BACKTEST_DOC = """
Rolling one-day VaR of the book's holdings-based P&L: each of the last `observations` days is
forecast from the `window` days before it; exceptions (loss > VaR), their rate, Kupiec POF and
Christoffersen independence / conditional-coverage statistics with p-values and verdicts at 5 %.
"""

STRESS_DOC = """
P&L of the stored book per position and in total (money and fraction of NAV) under `scenario`
(a stored scenario's name or id), several `scenarios`, inline `shocks` ({"instrument": {"AAPL": -0.2},
"sector": {...}, "currency": {"EUR": -0.1}, "factor": {"SPY": -0.1}}) or a `historical` window
({start, end}: each instrument's return over it applied to today's value). Factor shocks use OLS
betas of each instrument on the factor's returns over `beta_window` days.
"""


class VarView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="VaR / ES of a portfolio",
        description=VAR_DOC,
        tags=["risk"],
        request=VarRequestSerializer,
        responses={200: OpenApiResponse(description="VaR, ES, per-position marginal/component VaR.")},
    )
    def post(self, request, portfolio: str):
        code = viewable_code(request.user, portfolio)
        params = _body(VarRequestSerializer, request)
        return Response(_call(measures.var_calculate, portfolio=code, **params))


class BacktestView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Backtest a VaR method on a portfolio",
        description=BACKTEST_DOC,
        tags=["risk"],
        request=BacktestRequestSerializer,
        responses={200: OpenApiResponse(description="Exceptions, Kupiec and Christoffersen tests.")},
    )
    def post(self, request, portfolio: str):
        code = viewable_code(request.user, portfolio)
        params = _body(BacktestRequestSerializer, request)
        return Response(_call(measures.backtest_calculate, portfolio=code, **params))


class StressView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Stress test a portfolio",
        description=STRESS_DOC,
        tags=["risk"],
        request=StressRequestSerializer,
        responses={200: OpenApiResponse(description="P&L per scenario, per position and in total.")},
    )
    def post(self, request, portfolio: str):
        code = viewable_code(request.user, portfolio)
        params = _body(StressRequestSerializer, request)
        return Response(_call(stress.stress_run, portfolio=code, **params))


def _require_perm(user, action: str) -> None:
    if not (user.is_staff or user.has_perm(f"risk.{action}_stressscenario")):
        raise PermissionDenied(f"Needs staff or the risk.{action}_stressscenario permission.")


class ScenarioListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Stress scenarios", tags=["risk"], responses={200: ScenarioSerializer(many=True)})
    def get(self, request):
        rows = scenarios.StressScenario.objects.select_related("created_by").order_by("name")
        return Response(ScenarioSerializer(rows, many=True).data)

    @extend_schema(
        summary="Create a stress scenario",
        tags=["risk"],
        request=ScenarioWriteSerializer,
        responses={201: ScenarioSerializer},
    )
    def post(self, request):
        _require_perm(request.user, "add")
        data = _body(ScenarioWriteSerializer, request)
        scenario = _call(scenarios.scenario_create, data=data, user=request.user)
        return Response(ScenarioSerializer(scenario).data, status=status.HTTP_201_CREATED)


class ScenarioDetailView(APIView):
    permission_classes = [IsAuthenticated]

    def _get(self, scenario_id: int):
        scenario = scenarios.StressScenario.objects.filter(pk=scenario_id).first()
        if scenario is None:
            raise NotFound(f"No stress scenario {scenario_id}.")
        return scenario

    @extend_schema(summary="A stress scenario", tags=["risk"], responses={200: ScenarioSerializer})
    def get(self, request, scenario_id: int):
        return Response(ScenarioSerializer(self._get(scenario_id)).data)

    @extend_schema(
        summary="Change a stress scenario",
        tags=["risk"],
        request=ScenarioWriteSerializer,
        responses={200: ScenarioSerializer},
    )
    def patch(self, request, scenario_id: int):
        self._get(scenario_id)
        _require_perm(request.user, "change")
        data = _body(ScenarioWriteSerializer, request)
        scenario = _call(scenarios.scenario_update, scenario_id=scenario_id, data=data, user=request.user)
        return Response(ScenarioSerializer(scenario).data)

    @extend_schema(summary="Delete a stress scenario", tags=["risk"], responses={204: None})
    def delete(self, request, scenario_id: int):
        self._get(scenario_id)
        _require_perm(request.user, "delete")
        scenarios.scenario_delete(scenario_id=scenario_id, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


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
        params = _body(RiskReportRequestSerializer, request)
        codes = list(dict.fromkeys(viewable_code(request.user, key) for key in params["portfolios"]))
        named = params.get("scenarios")
        if named:
            unknown = [s for s in named if scenarios.scenario_get(s) is None]
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
