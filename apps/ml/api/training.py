"""POST /api/ml/models/train: train a model into the registry, as a job on the ml queue.

The body is checked before the job starts (400 naming the field: the serializer's shapes, then the
service's meaning of each field); checks that need the data (enough samples in the window) fail the
job with the same field messages. The answer follows the platform's job convention
(apps/platform/responses.py): the job's result (model id, version number, metrics) with 200 when it
finishes within the synchronous wait, else 202 with the job and its URL; `?async=1` always 202.

Training needs a signed-in user; a body with `alias` moves that alias when training succeeds, which
changes what every prediction uses, so it needs what moving an alias needs (staff or
`ml.change_modelalias`, else 403).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from apps.platform.api.serializers.jobs import JobSerializer
from apps.platform.responses import job_response
from apps.platform.services import job_start

from ..services.training import training_request_check
from ..tasks.training import TRAIN
from .aliases import CanMoveAliases
from .serializers.training import TrainSerializer


class TrainView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Train a model: a new immutable version (a job on the ml queue)",
        tags=["ml"],
        request=TrainSerializer,
        responses={200: dict, 202: JobSerializer},
    )
    def post(self, request):
        body = TrainSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        params = body.validated_data
        if params.get("alias") is not None and not CanMoveAliases().has_permission(request, self):
            raise PermissionDenied(CanMoveAliases.message)
        training_request_check(**params)
        job = job_start(engine="ml", task_name=TRAIN, params=params, user=request.user)
        return job_response(request, job)
