"""Snapshot endpoint: the latest bar and quote for many symbols in one call."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from ..selectors import instruments as instruments_selectors
from ..selectors import latest as selectors
from ..selectors.errors import UnknownSymbolError
from .bars import ReadView
from .serializers.snapshot import SnapshotQuerySerializer, snapshot_document


class SnapshotView(ReadView):
    @extend_schema(
        summary="Latest bar and quote for many symbols in one call",
        description=(
            "Per symbol `bar`: its most recent stored bar at any interval (latest start; on a tie "
            "the finer interval) as {ts, interval, close}; `quote`: its latest quote as {ts, bid, "
            "ask, bid_size, ask_size, mid}. Either is null when none is stored."
        ),
        parameters=[SnapshotQuerySerializer],
        tags=["marketdata"],
        responses={200: dict},
    )
    def get(self, request):
        query = SnapshotQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            ids = instruments_selectors.instrument_ids(query.validated_data["symbols"])
        except UnknownSymbolError as exc:
            raise serializers.ValidationError({"symbols": [str(exc)]}) from None
        bars = selectors.latest_bars(list(ids.values()))
        quotes = selectors.latest_quotes(list(ids.values()))
        return Response(snapshot_document(ids, bars, quotes))
