"""Instrument endpoints: any authenticated user reads, staff write."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from ..selectors import instruments as selectors
from ..services import instruments as services
from .filters import InstrumentFilter
from .permissions import IsStaffOrReadOnly
from .serializers.instruments import InstrumentSerializer


@extend_schema_view(
    list=extend_schema(summary="List instruments", tags=["marketdata"]),
    retrieve=extend_schema(summary="One instrument by symbol", tags=["marketdata"]),
    create=extend_schema(summary="Create an instrument (staff)", tags=["marketdata"]),
    update=extend_schema(summary="Replace an instrument's attributes (staff)", tags=["marketdata"]),
    partial_update=extend_schema(
        summary="Change some of an instrument's attributes (staff)", tags=["marketdata"]
    ),
)
class InstrumentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = InstrumentSerializer
    permission_classes = [IsStaffOrReadOnly]
    filterset_class = InstrumentFilter
    ordering_fields = ["symbol", "name", "asset_class", "sector", "currency", "exchange", "created_at"]
    ordering = ["symbol"]
    lookup_field = "symbol"
    # Symbols carry dots and dashes (BRK.B, ES-F); anything up to the next slash is the symbol.
    lookup_value_regex = r"[^/]+"

    def get_queryset(self):
        return selectors.instrument_list()

    def get_object(self):
        # Symbols are stored upper-case; /instruments/aapl/ finds AAPL.
        self.kwargs[self.lookup_field] = selectors.normalize_symbol(self.kwargs[self.lookup_field])
        return super().get_object()

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        instrument = services.instrument_create(**serializer.validated_data)
        return Response(self.get_serializer(instrument).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        instrument = self.get_object()
        serializer = self.get_serializer(instrument, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        fields = {k: v for k, v in serializer.validated_data.items() if k != "symbol"}
        instrument = services.instrument_update(instrument=instrument, **fields)
        return Response(self.get_serializer(instrument).data)
