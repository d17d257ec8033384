"""GET /api/factors/correlation/{factor}: one factor (an id, "name" or "name@version", as a factor is
named everywhere else) against others (mean cross-sectional rank correlation, and the correlation
over time of their daily rank IC and top-minus-bottom series);
POST /api/factors/correlation: the same three measures as matrices over many factors.

The universe and window of the GET default to those of the factor's latest stored analysis."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ..selectors.analyses import analyses_of
from ..selectors.correlation import factor_correlation, factors_correlation_matrix
from ..selectors.requested import (
    definition_by_reference,
    definitions_requested,
    symbols_requested,
    window_requested,
)
from ..services.definitions import generated_materialize
from .serializers.correlation import (
    CorrelationMatrixResponseSerializer,
    CorrelationMatrixSerializer,
    CorrelationQuerySerializer,
    FactorCorrelationSerializer,
)


class FactorCorrelationView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="One factor's correlation with others",
        tags=["factors"],
        parameters=[CorrelationQuerySerializer],
        responses={200: FactorCorrelationSerializer},
    )
    def get(self, request, factor: str):
        generated_materialize([factor])  # a catalogue entry ("gen.…") is named like a stored factor
        definition = definition_by_reference(factor)
        if definition is None:
            raise Http404(f"unknown factor: {factor} (give an id, a name or name@version)")
        query = CorrelationQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        generated_materialize(q["against"])
        against = definitions_requested(q["against"], field="against")
        symbols, start, end = q.get("symbols"), q.get("start"), q.get("end")
        if not (symbols and start and end):
            latest = analyses_of(definition)[:1]
            if not latest:
                raise ValidationError(
                    {
                        "symbols": [
                            "give symbols, start and end: this factor has no stored analysis to take them from"
                        ]
                    }
                )
            symbols = symbols or latest[0].symbols
            start = start or latest[0].start.isoformat()
            end = end or latest[0].end.isoformat()
        symbols = symbols_requested(symbols, None)
        start, end = window_requested(start, end)
        return Response(factor_correlation(definition, against, symbols=symbols, start=start, end=end))


class CorrelationMatrixView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Correlation matrices of many factors",
        tags=["factors"],
        request=CorrelationMatrixSerializer,
        responses={200: CorrelationMatrixResponseSerializer},
    )
    def post(self, request):
        body = CorrelationMatrixSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        generated_materialize(data["factors"])
        definitions = definitions_requested(data["factors"])
        symbols = symbols_requested(data.get("symbols"), data.get("universe"))
        start, end = window_requested(data["start"], data["end"])
        return Response(factors_correlation_matrix(definitions, symbols=symbols, start=start, end=end))
