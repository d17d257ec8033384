"""A/B tests of a price model's versions over HTTP.

POST /api/ml/models/ab_test                  {name, model, arms: [{version | alias, weight}], shadow,
                                             horizon}: start a test (201)
GET  /api/ml/models/ab_test/{id}             the test, per-arm metrics on realized outcomes and the
                                             significance of each pair of arms' difference
POST /api/ml/models/ab_test/{id}/promote     {arm, alias (default champion), reason}: move the alias
                                             to the arm's version (audited) and stop the test
POST /api/ml/models/ab_test/{id}/stop        stop the test

Reading needs a signed-in user. Starting, stopping and promoting change what predictions use, so
they need staff or the alias permission (`ml.change_modelalias`; 403 otherwise, before any lookup).
Bad fields: 400 keyed by field; an unknown model: 400 on `model`; an unknown test: 404.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.platform.timestamps import iso_utc

from ..selectors.abtests import abtest_get, abtest_report
from ..selectors.ml_models import ModelNotFound, model_get
from ..services.abtests import MAX_ARMS, MAX_HORIZON, abtest_create, abtest_promote, abtest_stop
from .aliases import MOVE_PERMISSION, CanMoveAliases

TEST_ID = OpenApiParameter("pk", int, OpenApiParameter.PATH, description="The A/B test's id.")


class CanRunTests(CanMoveAliases):
    message = f"Running an A/B test needs staff or the {MOVE_PERMISSION} permission."


class ArmSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    alias = serializers.CharField(required=False, max_length=64)
    weight = serializers.FloatField(required=False, default=1.0, min_value=0, max_value=1e6)


class ABTestCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64)
    model = serializers.CharField(max_length=64, help_text="The price model's name or id.")
    arms = ArmSerializer(many=True)
    shadow = serializers.BooleanField(default=False)
    horizon = serializers.IntegerField(
        min_value=1, max_value=MAX_HORIZON, help_text="Bars until an outcome is known."
    )


class PromoteSerializer(serializers.Serializer):
    arm = serializers.IntegerField(min_value=0, max_value=MAX_ARMS - 1)
    alias = serializers.CharField(max_length=64, default="champion")
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


def _describe(test) -> dict:
    return {
        "id": test.pk,
        "name": test.name,
        "model": test.model.name,
        "model_id": test.model_id,
        "status": test.status,
        "shadow": test.shadow,
        "horizon": test.horizon,
        "created_by": test.created_by.get_username() if test.created_by else None,
        "created_at": iso_utc(test.created_at),
        "stopped_at": iso_utc(test.stopped_at) if test.stopped_at else None,
        "promoted_arm": test.promoted.position if test.promoted_id else None,
    }


def _full(test) -> dict:
    return {**_describe(test), **abtest_report(test)}


class ABTestCreate(APIView):
    permission_classes = [IsAuthenticated, CanRunTests]

    @extend_schema(
        summary="Start an A/B test of a price model's versions",
        tags=["ml"],
        request=ABTestCreateSerializer,
        responses={201: OpenApiTypes.OBJECT},
    )
    def post(self, request):
        body = ABTestCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            model = model_get(data["model"])
        except ModelNotFound as exc:
            raise ValidationError({"model": [str(exc)]}) from None
        test = abtest_create(
            model=model,
            name=data["name"],
            arms=[dict(a) for a in data["arms"]],
            shadow=data["shadow"],
            horizon=data["horizon"],
            user=request.user,
        )
        return Response(_full(abtest_get(test.pk)), status=status.HTTP_201_CREATED)


class ABTestDetail(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="An A/B test: per-arm metrics and the significance of their differences",
        tags=["ml"],
        parameters=[TEST_ID],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request, pk: int):
        return Response(_full(abtest_get(pk)))


class ABTestPromote(APIView):
    permission_classes = [IsAuthenticated, CanRunTests]

    @extend_schema(
        summary="Promote an arm: move the alias to its version (audited) and stop the test",
        tags=["ml"],
        parameters=[TEST_ID],
        request=PromoteSerializer,
        responses={200: OpenApiTypes.OBJECT},
    )
    def post(self, request, pk: int):
        test = abtest_get(pk)
        body = PromoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        promoted = abtest_promote(test=test, user=request.user, **body.validated_data)
        return Response(_full(abtest_get(promoted.pk)))


class ABTestStop(APIView):
    permission_classes = [IsAuthenticated, CanRunTests]

    @extend_schema(
        summary="Stop an A/B test",
        tags=["ml"],
        parameters=[TEST_ID],
        request=None,
        responses={200: OpenApiTypes.OBJECT},
    )
    def post(self, request, pk: int):
        stopped = abtest_stop(test=abtest_get(pk), user=request.user)
        return Response(_full(abtest_get(stopped.pk)))
