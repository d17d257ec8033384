"""/api/features/: the catalogue of functions (values, sets and retrieval come next)."""

from django.urls import path

from .api.catalog import CatalogView

app_name = "features"
urlpatterns = [
    path("catalog", CatalogView.as_view(), name="catalog"),
]
