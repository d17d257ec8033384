"""POST /api/factors/synthesize: combine factors into a composite (weights fitted on the training
dates, rank IC in and out of sample) saved as a factor of library "composite"
(services/synthesis.py)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.marketdata import facade as marketdata
from apps.platform.timestamps import iso_utc

from ..selectors.requested import definitions_requested, symbols_requested, window_requested
from ..services.definitions import generated_materialize
from ..services.synthesis import composite_synthesize
from .serializers.synthesis import SynthesizeResponseSerializer, SynthesizeSerializer


class SynthesizeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Combine factors into a stored composite factor",
        tags=["factors"],
        request=SynthesizeSerializer,
        responses={200: SynthesizeResponseSerializer},
    )
    def post(self, request):
        body = SynthesizeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        generated_materialize(data["factors"])
        definitions = definitions_requested(data["factors"])
        symbols = symbols_requested(data.get("symbols"), data.get("universe"))
        start, end = window_requested(data["start"], data["end"])
        train_end = data.get("train_end") or None
        result = composite_synthesize(
            definitions=definitions,
            symbols=symbols,
            start=start,
            end=end,
            name=data["name"],
            method=data["method"],
            orthogonalize=data["orthogonalize"],
            train_end=None if train_end is None else marketdata.window_start_utc(train_end),
            horizon=data["horizon"],
            user=request.user,
        )
        d = result.definition
        return Response(
            {
                "composite": {
                    "id": d.pk,
                    "name": d.name,
                    "version": d.version,
                    "label": d.label,
                    "library": d.library,
                    "formula": d.formula,
                    "interval": d.interval,
                    "adjusted": d.adjusted,
                },
                "weights": result.weights,
                "method": data["method"],
                "orthogonalize": data["orthogonalize"],
                "horizon": data["horizon"],
                "ic_in_sample": result.ic_in_sample,
                "ic_out_of_sample": result.ic_out_of_sample,
                "train_end": iso_utc(result.train_end),
                "train_dates": result.train_dates,
                "test_dates": result.test_dates,
            }
        )
