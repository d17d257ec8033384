"""Live and replay feeds (helper MB). Paths match with or without a trailing slash."""

from django.urls import re_path

from . import api_feeds

urlpatterns: list = [
    re_path(r"^feeds/?$", api_feeds.FeedListView.as_view(), name="feed-list"),
    re_path(r"^feeds/live/start/?$", api_feeds.LiveStartView.as_view(), name="feed-live-start"),
    re_path(r"^feeds/replay/start/?$", api_feeds.ReplayStartView.as_view(), name="feed-replay-start"),
    re_path(r"^feeds/(?P<pk>[0-9]+)/stop/?$", api_feeds.FeedStopView.as_view(), name="feed-stop"),
    re_path(r"^feeds/(?P<pk>[0-9]+)/?$", api_feeds.FeedDetailView.as_view(), name="feed-detail"),
]
