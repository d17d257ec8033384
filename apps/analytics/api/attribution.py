"""POST /api/analytics/attribution/{portfolio}: Brinson-Fachler, factor or security contribution."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.portfolio import facade as portfolio_facade

from ..selectors import attribution as selectors
from .serializers.attribution import AttributionRequestSerializer

DOC = """
`method` chooses the analysis; `start` (inclusive) and `end` (exclusive; a bare date includes its
day) bound the periods used.

- **brinson**: Brinson-Fachler allocation, selection and interaction by sector for every period in
  `periods`, linked (`linking`: carino | menchero) so the effects add up to the compounded excess
  return Π(1+Rp) - Π(1+Rb). Each side's weights add up to 1 in every period (cash is a sector).
  Without `periods`, the portfolio side is derived from the stored book at `frequency` (1d, 1w,
  1mo): sectors are the instruments' sectors (blank: Unclassified) and Cash, weights the values held
  at each period's start / NAV, returns the base-currency price returns; the benchmark side is a
  model in `benchmark`: `{"portfolio": "CODE"}` (another stored portfolio you may view, derived the
  same way) or `{"weights": {"SYMBOL": w, ...}}` (rebalanced to these weights every period). Periods
  carrying only `benchmark` sector data pair it with the derived portfolio side. What the start
  holdings do not explain is the `trading` effect, so allocation + selection + interaction + trading
  add up to the excess return. A single-instrument benchmark has no sector weights (400 on `benchmark`).
- **factor**: OLS with intercept of the portfolio's returns (`returns` as {date: return}, or the
  stored book's time-weighted returns at `frequency`) on `factors` ({name: {date: return}} or
  {name: "SERIES_CODE"} from the market-data store): exposures, t-stats, factor contributions
  (exposure × summed factor return), specific return, R².
- **contribution**: per security, contribution to return (weight × return, linked to the
  compounded portfolio return) and to risk (w_i (Σw)_i / σ_p with the last period's weights and the
  sample covariance of the period returns; they add up to σ_p). Without `periods`, derived from the
  stored book at `frequency`: start-of-period weights × base-currency price returns, plus a
  "Cash and trading" row (cash, fees, dividends, trades away from the close) so each period's
  contributions add up exactly to its time-weighted return; risk ex post, cov(c_i, R) / σ_R; also
  by sector.

Ratios and returns are fractions. 404: unknown portfolio; 403: not yours to view; 400: bad input,
named by field (`period` when the window holds no data).
"""


class AttributionView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Attribute a portfolio's return",
        description=DOC,
        tags=["analytics"],
        request=AttributionRequestSerializer,
        responses={200: OpenApiResponse(description="The attribution, by method.")},
    )
    def post(self, request, portfolio: str):
        portfolio_facade.portfolio_viewable(request.user, portfolio)
        serializer = AttributionRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        window = {"portfolio": portfolio, "start": d["start"], "end": d["end"], "frequency": d["frequency"]}
        if d["method"] == "brinson":
            check_benchmark_access(request.user, d.get("benchmark"))
            result = selectors.brinson_attribute(
                **window, periods=d.get("periods"), linking=d["linking"], benchmark=d.get("benchmark")
            )
        elif d["method"] == "factor":
            result = selectors.factor_attribute(**window, factors=d["factors"], returns=d.get("returns"))
        else:
            result = selectors.contribution_attribute(
                **window, periods=d.get("periods"), linking=d["linking"]
            )
        return Response({"portfolio": portfolio} | result)


def check_benchmark_access(user, benchmark) -> None:
    """A model benchmark portfolio must be one the caller may view (unknown: 400 on the field)."""
    code = benchmark.get("portfolio") if isinstance(benchmark, dict) else None
    if code is None:
        return
    allowed = portfolio_facade.portfolio_can_view(user, code) if isinstance(code, str) else None
    if allowed is None:
        raise ValidationError({"benchmark.portfolio": f"Unknown portfolio {code!r}."})
    if not allowed:
        raise PermissionDenied(f"You do not have access to the benchmark portfolio {code!r}.")
