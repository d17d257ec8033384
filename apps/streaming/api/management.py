"""/api/websocket/: connections (list, close), server-side subscriptions, stats — staff only, across
every server process (the registry in Redis: services/registry.py)."""

from __future__ import annotations

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.platform.schema import error_response

from ..selectors.stats import connections_list, stats_get
from ..services.control import ConnectionGone, connection_command
from .serializers.management import (
    ConnectionClosedSerializer,
    ConnectionListSerializer,
    ConnectionsRequestSerializer,
    StatsSerializer,
    SubscriptionsRequestSerializer,
    SubscriptionsResponseSerializer,
)


class ProcessTimeout(APIException):
    status_code = status.HTTP_504_GATEWAY_TIMEOUT
    default_code = "process_timeout"


def _command(conn_id: str, op: str, **fields) -> dict:
    try:
        answer = connection_command(conn_id=conn_id, op=op, **fields)
    except ConnectionGone:
        raise NotFound(f"No live connection {conn_id!r}.") from None
    except TimeoutError as exc:
        raise ProcessTimeout(str(exc)) from None
    if not answer.get("ok"):
        if answer.get("status") == 404:
            raise NotFound(f"No live connection {conn_id!r}.")
        return {"error": answer.get("detail", "refused")}
    return answer


UNKNOWN = error_response("No live connection with that id (closed, or its server process is gone).")
TIMEOUT = error_response("The server process holding the connection did not answer in time.")


class ConnectionsView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        summary="List the WebSocket connections of every server process, or close one",
        tags=["websocket"],
        request=ConnectionsRequestSerializer,
        responses={
            200: PolymorphicProxySerializer(
                component_name="ConnectionsAnswer",
                serializers=[ConnectionListSerializer, ConnectionClosedSerializer],
                resource_type_field_name=None,
            ),
            404: UNKNOWN,
            504: TIMEOUT,
        },
    )
    def post(self, request):
        body = ConnectionsRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if data["action"] == "list":
            return Response(
                {"connections": connections_list(user_id=data.get("user_id"), feed=data.get("feed"))}
            )
        reason = data.get("reason") or f"closed by {request.user.get_username()}"
        _command(data["connection_id"], "close", reason=reason)
        return Response({"closed": data["connection_id"]})


class SubscriptionsView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        summary="Add or remove a subscription of a WebSocket connection from the server side",
        tags=["websocket"],
        request=SubscriptionsRequestSerializer,
        responses={200: SubscriptionsResponseSerializer, 404: UNKNOWN, 504: TIMEOUT},
    )
    def post(self, request):
        body = SubscriptionsRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        op = "subscribe" if data["action"] == "add" else "unsubscribe"
        fields = {"patterns": data["patterns"]}
        if op == "subscribe" and data.get("filters") is not None:
            fields["filters"] = data["filters"]
        answer = _command(data["connection_id"], op, **fields)
        if "error" in answer:
            return Response({"patterns": [answer["error"]]}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"connection_id": data["connection_id"], "patterns": answer["patterns"]})


class StatsView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        summary="WebSocket connections, subscriptions per pattern, messages in/out per second, drops, "
        "conflations and delivery latency p50/p99, across every server process",
        tags=["websocket"],
        responses={200: StatsSerializer},
    )
    def get(self, request):
        return Response(stats_get())
