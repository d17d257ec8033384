"""Upload endpoints: validate the request, store the file where workers can read it, start a job
on the marketdata queue and answer with it (200 + report when done quickly, else 202 + job URL).

Who may upload: staff, or a user holding the add permission of the table being loaded
(marketdata.add_bar, add_seriesobservation, add_fundamental, add_fxrate); creating instruments on
the way also needs marketdata.add_instrument. Market data is shared by every portfolio, so loading
it is an operator's act, not any authenticated user's.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.platform.api.serializers.jobs import JobSerializer
from apps.platform.responses import job_response
from apps.platform.services import job_start
from apps.platform.timestamps import iso_utc

from ..services.uploads import upload_discard, upload_store
from .serializers import ingest as s


class CanLoad(BasePermission):
    message = "loading market data needs staff status or the table's add permission"

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (user.is_staff or user.has_perm(view.permission)))


class _UploadView(APIView):
    permission_classes = [IsAuthenticated, CanLoad]
    parser_classes = [MultiPartParser, FormParser]
    serializer_class: type[s.UploadSerializer]
    task_name: str
    permission: str

    def params(self, data: dict) -> dict:
        """JSON-safe task parameters besides the file."""
        return {k: v for k, v in data.items() if k != "file"}

    def post(self, request: Request) -> Response:
        ser = self.serializer_class(data=request.data)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        if data.get("create_instruments") and not (
            request.user.is_staff or request.user.has_perm("marketdata.add_instrument")
        ):
            raise PermissionDenied("create_instruments needs the marketdata.add_instrument permission")
        path = upload_store(data["file"])
        params = {**self.params(data), "path": path, "name": data["file"].name}
        try:
            job = job_start(engine="marketdata", task_name=self.task_name, params=params, user=request.user)
        except Exception:
            upload_discard(path)
            raise
        return job_response(request, job)


_RESPONSES = {200: OpenApiTypes.OBJECT, 202: JobSerializer, 400: OpenApiTypes.OBJECT}


class BarsUploadView(_UploadView):
    serializer_class = s.BarsUploadSerializer
    task_name = "apps.marketdata.tasks.bars_upload"
    permission = "marketdata.add_bar"

    @extend_schema(request={"multipart/form-data": s.BarsUploadSerializer}, responses=_RESPONSES)
    def post(self, request: Request) -> Response:
        return super().post(request)


class SeriesUploadView(_UploadView):
    serializer_class = s.SeriesUploadSerializer
    task_name = "apps.marketdata.tasks.series_upload"
    permission = "marketdata.add_seriesobservation"

    def params(self, data: dict) -> dict:
        return {**super().params(data), "known_at": iso_utc(data.get("known_at"))}

    @extend_schema(request={"multipart/form-data": s.SeriesUploadSerializer}, responses=_RESPONSES)
    def post(self, request: Request) -> Response:
        return super().post(request)


class FundamentalsUploadView(_UploadView):
    serializer_class = s.FundamentalsUploadSerializer
    task_name = "apps.marketdata.tasks.fundamentals_upload"
    permission = "marketdata.add_fundamental"

    def params(self, data: dict) -> dict:
        return {**super().params(data), "reported_at": iso_utc(data.get("reported_at"))}

    @extend_schema(request={"multipart/form-data": s.FundamentalsUploadSerializer}, responses=_RESPONSES)
    def post(self, request: Request) -> Response:
        return super().post(request)


class FxUploadView(_UploadView):
    serializer_class = s.FxUploadSerializer
    task_name = "apps.marketdata.tasks.fx_upload"
    permission = "marketdata.add_fxrate"

    @extend_schema(request={"multipart/form-data": s.FxUploadSerializer}, responses=_RESPONSES)
    def post(self, request: Request) -> Response:
        return super().post(request)
