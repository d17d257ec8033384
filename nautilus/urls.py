from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.platform.errors import api_not_found
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
# Last: any other /api/ path is a JSON 404, not an HTML page.
urlpatterns += [re_path(r"^api/", api_not_found)]

handler400 = "apps.platform.errors.handler400"
handler500 = "apps.platform.errors.handler500"
