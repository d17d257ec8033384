"""GET /api/factors/ranking: factors ranked by their latest stored analysis, each row saying which
analysis (universe, window) it is from, with Benjamini-Hochberg p-values across the factors ranked
and the deflated significance of the best (selectors/ranking.py)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ..selectors.analyses import analysis_window
from ..selectors.ranking import factor_ranking
from .serializers.ranking import RankingQuerySerializer, RankingSerializer


class RankingView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Factors ranked by IC, ICIR, rank IC, spread, t-stat or decay",
        tags=["factors"],
        parameters=[RankingQuerySerializer],
        responses={200: RankingSerializer},
    )
    def get(self, request):
        query = RankingQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        ranking = factor_ranking(
            by=q["by"], library=q.get("library"), min_dates=q["min_dates"], limit=q["limit"]
        )
        rows = []
        for row in ranking.rows:
            a = row.analysis
            rows.append(
                {
                    "rank": row.rank,
                    "factor": {"id": a.definition.pk, "label": a.definition.label},
                    "value": row.value,
                    **{
                        name: getattr(a, name)
                        for name in (
                            "ic_mean",
                            "rank_ic_mean",
                            "icir",
                            "t_stat",
                            "p_value",
                            "spread",
                            "turnover",
                        )
                    },
                    "decay_half_life": a.decay_half_life,
                    "p_value_adjusted": row.p_value_adjusted,
                    "n_dates": row.n_dates,
                    **analysis_window(a),
                }
            )
        return Response(
            {"by": ranking.by, "ranked": ranking.ranked, "deflated": ranking.deflated, "results": rows}
        )
