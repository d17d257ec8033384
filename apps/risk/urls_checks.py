from django.urls import path

from .api_checks import CheckView, MonitorStartView, MonitorStatusView, MonitorStopView

urlpatterns: list = [
    path("check/<str:portfolio_id>", CheckView.as_view(), name="check"),
    path("monitor/start", MonitorStartView.as_view(), name="monitor-start"),
    path("monitor/stop", MonitorStopView.as_view(), name="monitor-stop"),
    path("monitor/status", MonitorStatusView.as_view(), name="monitor-status"),
]
