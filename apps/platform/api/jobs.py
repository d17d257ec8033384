"""GET /api/jobs/{id}: a job's state, progress and result, for its creator and staff."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..selectors import job_get, job_visible_to
from .serializers.jobs import JobSerializer


class JobDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: JobSerializer})
    def get(self, request: Request, pk) -> Response:
        job = job_get(job_id=pk)
        if job is None:
            raise NotFound("no such job")
        if not job_visible_to(job, request.user):
            raise PermissionDenied("this job belongs to someone else")
        return Response(JobSerializer(job, context={"request": request}).data)
