"""GET /api/analytics/performance/{portfolio} and GET /api/analytics/benchmark/{portfolio}."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.portfolio import facade as portfolio_facade

from ..selectors import performance as selectors
from .serializers.performance import PerformanceQuerySerializer

PERFORMANCE_DOC = """
Metrics of the portfolio's time-weighted returns over [`start`, `end`) at `frequency`: daily, weekly,
monthly (or 1d, 1w, 1mo; default: the finest bar interval every instrument of the book has, at least
daily, so a book of monthly fund NAVs is monthly; a frequency finer than the data is a 400 on
`frequency`; `pricing` in the answer says which bars were used and what was resampled), or intraday
1m, 5m, 15m, 30m, 1h (holdings valued at the intraday bar closes, each booking counted in the bar
bucket that holds it; 400 on `frequency` when there are no intraday bars for the window). Returns
start at the first valuation after capital is at risk: the bar that funds the book is no period.
Figures:
total_return, cagr, volatility, sharpe, sortino, calmar, omega, max_drawdown (depth, peak, trough,
recovery, duration), skew, kurtosis (excess), var/cvar (historical 95%), best, worst, win_rate and,
against the benchmark, alpha, beta, correlation, information_ratio, tracking_error, up_capture,
down_capture; the series (returns, drawdown, rolling Sharpe/volatility/beta over `window` periods).
Annualization follows the data (`periods_per_year`: 252 daily, 365 for a calendar that trades every
day, 52 weekly, 12 monthly; intraday, the median bars per UTC day observed x 252, or x 365 when the
data trades on weekends) and is stated in the answer, with the convention of every figure. Amounts
in other currencies convert at each bar's own FX rate, so currency moves are returns.
Ratios are fractions. 404: unknown portfolio; 403: not yours to view; 400: bad input, by field.
"""

BENCHMARK_DOC = """
The portfolio against its benchmark instrument (or `benchmark`): both sides' return, volatility,
Sharpe and drawdown, excess and relative return, correlation, alpha/beta, information ratio,
tracking error, up/down capture, and the excess, relative and rolling-beta series.
"""


class _ReportView(APIView):
    permission_classes = [IsAuthenticated]
    report = staticmethod(selectors.performance_report)

    def get(self, request, portfolio: str):
        portfolio_facade.portfolio_viewable(request.user, portfolio)
        query = PerformanceQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(self.report(portfolio=portfolio, **query.validated_data))


class PerformanceView(_ReportView):
    report = staticmethod(selectors.performance_report)

    @extend_schema(
        summary="Performance metrics of a portfolio",
        description=PERFORMANCE_DOC,
        tags=["analytics"],
        parameters=[PerformanceQuerySerializer],
        responses={200: OpenApiResponse(description="Metrics, drawdown and rolling series.")},
    )
    def get(self, request, portfolio: str):
        return super().get(request, portfolio)


class BenchmarkView(_ReportView):
    report = staticmethod(selectors.benchmark_report)

    @extend_schema(
        summary="A portfolio against its benchmark",
        description=BENCHMARK_DOC,
        tags=["analytics"],
        parameters=[PerformanceQuerySerializer],
        responses={200: OpenApiResponse(description="Relative performance and series.")},
    )
    def get(self, request, portfolio: str):
        return super().get(request, portfolio)
