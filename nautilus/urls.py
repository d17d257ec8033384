from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from workers.registry import ENGINES

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("apps.platform.urls")),
    path("", include("django_prometheus.urls")),  # GET /metrics
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api-auth/", include("rest_framework.urls")),
]
# Each engine mounts its API at the prefix the registry gives it.
urlpatterns += [path(e.url_prefix.lstrip("/"), include(f"apps.{e.key}.urls")) for e in ENGINES]
