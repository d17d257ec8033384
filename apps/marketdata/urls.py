from rest_framework.routers import SimpleRouter

from .api import InstrumentViewSet

app_name = "marketdata"

router = SimpleRouter()
router.register("instruments", InstrumentViewSet, basename="instrument")

urlpatterns: list = [*router.urls]
