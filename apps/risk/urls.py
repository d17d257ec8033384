"""/api/risk/: limits, checks and monitor, breaches, risk measures, stress and reports."""

from django.urls import include, path

app_name = "risk"
urlpatterns = [
    path("", include("apps.risk.urls_limits")),
    path("", include("apps.risk.urls_checks")),
    path("", include("apps.risk.urls_breaches")),
    path("", include("apps.risk.urls_measures")),
]
