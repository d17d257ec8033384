from django.urls import include, path
from rest_framework.routers import SimpleRouter

from .api import InstrumentViewSet

app_name = "marketdata"

router = SimpleRouter()
router.register("instruments", InstrumentViewSet, basename="instrument")

# One URL module per area so each stays small: ingestion (uploads), feeds (live/replay), reads.
urlpatterns: list = [
    *router.urls,
    path("", include("apps.marketdata.urls_ingest")),
    path("", include("apps.marketdata.urls_feeds")),
    path("", include("apps.marketdata.urls_read")),
]
