"""A model's aliases over HTTP.

GET /api/ml/models/{id}/aliases                  every alias with the version it names
GET /api/ml/models/{id}/aliases/{name}           one alias
PUT /api/ml/models/{id}/aliases/{name}           {"version": n, "reason": "..."}: move it there
                                                 (201 when the alias is new, 200 otherwise)
GET /api/ml/models/{id}/aliases/{name}/history   its moves, newest first (paginated)

Reading needs a signed-in user. Moving an alias changes what every prediction uses, so it needs staff
or the `ml.change_modelalias` permission (403 otherwise), checked before anything is looked up.
A version that does not exist or is not ready: 400 naming `version`; a bad alias name: 400 naming
`name`; unknown model or alias: 404.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ..selectors.aliases import alias_get, alias_history, alias_moves_none, aliases_of
from ..selectors.ml_models import model_get
from ..services.aliases import alias_move
from .params import ALIAS_NAME, MODEL_REF
from .serializers.aliases import MLAliasMoveSerializer, MLAliasSerializer, MLAliasWriteSerializer

MOVE_PERMISSION = "ml.change_modelalias"


class CanMoveAliases(BasePermission):
    message = f"Moving an alias needs staff or the {MOVE_PERMISSION} permission."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return bool(request.user.is_staff or request.user.has_perm(MOVE_PERMISSION))


class AliasList(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="A model's aliases",
        tags=["ml"],
        parameters=[MODEL_REF],
        responses={200: MLAliasSerializer(many=True)},
    )
    def get(self, request, ref: str):
        return Response(MLAliasSerializer(aliases_of(model_get(ref)), many=True).data)


class AliasDetail(APIView):
    permission_classes = [IsAuthenticated, CanMoveAliases]

    @extend_schema(
        summary="One alias of a model",
        tags=["ml"],
        parameters=[MODEL_REF, ALIAS_NAME],
        responses={200: MLAliasSerializer},
    )
    def get(self, request, ref: str, name: str):
        return Response(MLAliasSerializer(alias_get(model_get(ref), name)).data)

    @extend_schema(
        summary="Move (or create) an alias: audited and published on ml.models.{name}",
        tags=["ml"],
        parameters=[MODEL_REF, ALIAS_NAME],
        request=MLAliasWriteSerializer,
        responses={
            201: OpenApiResponse(MLAliasSerializer, description="The alias was created."),
            200: OpenApiResponse(MLAliasSerializer, description="Moved, or already there."),
        },
    )
    def put(self, request, ref: str, name: str):
        model = model_get(ref)
        body = MLAliasWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        moved = alias_move(model=model, name=name, user=request.user, **body.validated_data)
        return Response(
            MLAliasSerializer(moved.alias).data,
            status=status.HTTP_201_CREATED if moved.created else status.HTTP_200_OK,
        )


class AliasHistory(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = MLAliasMoveSerializer
    filter_backends: list = []

    @extend_schema(summary="An alias's moves, newest first", tags=["ml"], parameters=[MODEL_REF, ALIAS_NAME])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return alias_moves_none()
        return alias_history(model_get(self.kwargs["ref"]), self.kwargs["name"])
