"""/api/websocket/: management of the WebSocket feeds (the feeds themselves are ws/ routes: routing.py)."""

from django.urls import path

from .api.management import ConnectionsView, StatsView, SubscriptionsView

app_name = "streaming"
urlpatterns = [
    path("connections", ConnectionsView.as_view(), name="connections"),
    path("subscriptions", SubscriptionsView.as_view(), name="subscriptions"),
    path("stats", StatsView.as_view(), name="stats"),
]
