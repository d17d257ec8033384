"""Feed endpoints: staff start and stop feeds; any authenticated user reads their state."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from ..selectors import feeds as selectors
from ..services.feeds import sessions as services
from .permissions import IsStaffOrReadOnly
from .serializers.feeds import FeedSessionSerializer, LiveStartSerializer, ReplayStartSerializer


def _accepted(request, feed) -> Response:
    """202: the feed_run process picks the session up within a second; its URL reports the state."""
    body = FeedSessionSerializer(feed, context={"request": request}).data
    return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


class FeedListView(generics.ListAPIView):
    serializer_class = FeedSessionSerializer
    permission_classes = [IsStaffOrReadOnly]

    @extend_schema(summary="List feed sessions (filter: state, mode)", tags=["marketdata"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        return selectors.feed_list(state=params.get("state"), mode=params.get("mode"))


class FeedDetailView(generics.RetrieveAPIView):
    serializer_class = FeedSessionSerializer
    permission_classes = [IsStaffOrReadOnly]

    @extend_schema(
        summary="One feed session: state, ticks published, bars stored, errors", tags=["marketdata"]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.feed_list()


class LiveStartView(APIView):
    permission_classes = [IsStaffOrReadOnly]

    @extend_schema(
        summary="Start a simulated live feed (staff)",
        request=LiveStartSerializer,
        responses={202: FeedSessionSerializer},
        tags=["marketdata"],
    )
    def post(self, request):
        s = LiveStartSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        return _accepted(request, services.feed_live_start(**s.validated_data, user=request.user))


class ReplayStartView(APIView):
    permission_classes = [IsStaffOrReadOnly]

    @extend_schema(
        summary="Replay stored bars at N× speed (staff)",
        request=ReplayStartSerializer,
        responses={202: FeedSessionSerializer},
        tags=["marketdata"],
    )
    def post(self, request):
        s = ReplayStartSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        return _accepted(request, services.feed_replay_start(**s.validated_data, user=request.user))


class FeedStopView(APIView):
    permission_classes = [IsStaffOrReadOnly]

    @extend_schema(
        summary="Stop a feed (staff)",
        request=None,
        responses={200: FeedSessionSerializer},
        tags=["marketdata"],
    )
    def post(self, request, pk: int):
        feed = selectors.feed_get(pk)
        if feed is None:
            raise Http404
        feed = services.feed_stop(feed=feed)
        return Response(FeedSessionSerializer(feed, context={"request": request}).data)
