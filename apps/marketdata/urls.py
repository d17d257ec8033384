"""Every market-data URL: instruments (router), uploads, feeds, bars and the snapshot. Paths and names
are those of the API's first version; feed, bars and snapshot paths match with or without a trailing
slash."""

from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from .api import bars, feeds, ingest, snapshot
from .api.instruments import InstrumentViewSet

app_name = "marketdata"

router = SimpleRouter()
router.register("instruments", InstrumentViewSet, basename="instrument")

urlpatterns: list = [
    *router.urls,
    # Ingestion: file uploads that become jobs on the marketdata queue.
    path("bars/upload", ingest.BarsUploadView.as_view(), name="bars-upload"),
    path("series/upload", ingest.SeriesUploadView.as_view(), name="series-upload"),
    path("fundamentals/upload", ingest.FundamentalsUploadView.as_view(), name="fundamentals-upload"),
    path("fx/upload", ingest.FxUploadView.as_view(), name="fx-upload"),
    # Live and replay feeds.
    re_path(r"^feeds/?$", feeds.FeedListView.as_view(), name="feed-list"),
    re_path(r"^feeds/live/start/?$", feeds.LiveStartView.as_view(), name="feed-live-start"),
    re_path(r"^feeds/replay/start/?$", feeds.ReplayStartView.as_view(), name="feed-replay-start"),
    re_path(r"^feeds/(?P<pk>[0-9]+)/stop/?$", feeds.FeedStopView.as_view(), name="feed-stop"),
    re_path(r"^feeds/(?P<pk>[0-9]+)/?$", feeds.FeedDetailView.as_view(), name="feed-detail"),
    # Reads.
    re_path(r"^bars/?$", bars.BarsView.as_view(), name="bars"),
    re_path(r"^snapshot/?$", snapshot.SnapshotView.as_view(), name="snapshot"),
]
