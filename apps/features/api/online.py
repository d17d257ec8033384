"""GET /api/features/online?set=<name>&symbols=AAA,BBB (or features=rsi_14,sma_10@1): the latest
stored value of each feature for each symbol, one matrix (api/serializers/online.py).

Kept lean for its latency target (p99 < 5 ms for 100 symbols x 50 features): names resolve through
the process cache of selectors/lookups.py (no ORM on a warm path; a query string asked again is
neither validated nor resolved again until one of its names expires), the values are one query
(selectors/online.py), and the JSON is joined from each row's text, kept with the process cache's
rows (selectors/online_cache.py) so an unchanged row is not formatted again. Bad input is
a 400 keyed by field: an unknown set (`set`), feature (`features`) or symbol (`symbols`), more than
FEATURES_MAX_SYMBOLS symbols (`symbols`). On a database other than PostgreSQL the store is not
there: 503 (store_backend.py).
"""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from ..selectors.lookups import online_names_resolve, online_query_keep, online_query_recall
from ..selectors.online_cache import latest_values_cached
from .serializers.online import OnlineQuerySerializer, OnlineValuesSerializer, online_json, online_rows
from .store_backend import store_required


class OnlineView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Online retrieval: the latest value of a feature set (or features) for many symbols",
        tags=["features"],
        parameters=[OnlineQuerySerializer],
        responses={
            200: OpenApiResponse(
                OnlineValuesSerializer, description="One row per symbol, one column per feature."
            )
        },
    )
    def get(self, request):
        store_required()
        raw = tuple(request.query_params.get(name) for name in ("set", "features", "symbols"))
        known = online_query_recall(raw)
        if known is None:
            definitions, instruments = _resolve(request.query_params, raw)
        else:
            definitions, instruments = known
        latest = latest_values_cached(
            definitions=definitions, instruments=instruments, number_text=True, render=online_rows
        )
        return HttpResponse(online_json(latest), content_type="application/json")


def _resolve(params, raw: tuple) -> tuple[list, dict[str, int]]:
    """The query validated and its names resolved (a 400 keyed by field otherwise), then remembered."""
    query = OnlineQuerySerializer(data=params)
    query.is_valid(raise_exception=True)
    asked = query.validated_data
    definitions, instruments, errors = online_names_resolve(
        symbols=asked["symbols"], feature_set=asked.get("set"), features=asked.get("features", ())
    )
    if errors:
        raise ValidationError({field: [message] for field, message in errors.items()})
    online_query_keep(
        raw,
        feature_set=asked.get("set"),
        features=asked.get("features", ()),
        definitions=definitions,
        instruments=instruments,
    )
    return definitions, instruments
