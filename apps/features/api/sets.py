"""GET/POST /api/features/sets, GET /api/features/sets/<name>: named sets of pinned feature
definition versions. Bad input is a 400 keyed by field, an unknown name a 404."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ..selectors.sets import set_get, sets_list
from ..services.sets import set_create
from .serializers.sets import SetSerializer, SetWriteSerializer


class SetListCreate(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Feature sets", tags=["features"], responses={200: SetSerializer(many=True)})
    def get(self, request):
        return Response(SetSerializer(sets_list(), many=True).data)

    @extend_schema(
        summary="Create a feature set pinning definition versions",
        tags=["features"],
        request=SetWriteSerializer,
        responses={201: SetSerializer},
    )
    def post(self, request):
        body = SetWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        created = set_create(**body.validated_data, user=request.user)
        return Response(SetSerializer(set_get(created.name)).data, status=status.HTTP_201_CREATED)


class SetDetail(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="A feature set with its pinned versions", tags=["features"], responses={200: SetSerializer}
    )
    def get(self, request, name: str):
        found = set_get(name)
        if found is None:
            raise NotFound(f"No feature set {name!r}.")
        return Response(SetSerializer(found).data)
