"""VaR / ES and VaR backtests of a stored book under /api/risk/ (view access to the portfolio:
owner, group, staff)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ..selectors import var as measures
from .common import body, call, viewable_code
from .serializers.var import BacktestRequestSerializer, VarRequestSerializer

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
        params = body(VarRequestSerializer, request)
        return Response(call(measures.var_calculate, portfolio=code, **params))


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
        params = body(BacktestRequestSerializer, request)
        return Response(call(measures.backtest_calculate, portfolio=code, **params))
