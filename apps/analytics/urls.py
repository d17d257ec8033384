from django.urls import include, path

app_name = "analytics"

# One URL module per area: P&L (calculate), performance and benchmark, attribution.
urlpatterns: list = [
    path("", include("apps.analytics.urls_pnl")),
    path("", include("apps.analytics.urls_performance")),
    path("", include("apps.analytics.urls_attribution")),
    path("", include("apps.analytics.urls_reports")),
]
