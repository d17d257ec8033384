"""Platform routes, included at the root: write full paths."""

from django.urls import path

from . import metrics_access
from .api import auth, engines, health, jobs

app_name = "platform"

urlpatterns = [
    path("health", health.HealthView.as_view(), name="health"),
    # Listed before django_prometheus.urls in nautilus/urls.py, so this view answers /metrics: it
    # samples queue depths, then delegates to django-prometheus's exporter; metrics_access decides
    # who may read it (production: private networks and/or a bearer token).
    path("metrics", metrics_access.protect(health.metrics_view), name="metrics"),
    path("api/engines/", engines.EngineListView.as_view(), name="engine-list"),
    path("api/engines/<str:engine>/health", engines.EngineHealthView.as_view(), name="engine-health"),
    path("api/engines/<str:engine>/selftest", engines.EngineSelftestView.as_view(), name="engine-selftest"),
    path("api/auth/token", auth.TokenObtainView.as_view(), name="auth-token"),
    path("api/jobs/<uuid:pk>", jobs.JobDetailView.as_view(), name="job-detail"),
]
