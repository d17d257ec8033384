"""/api/features/: the catalogue of functions, versioned feature definitions and feature sets
(values and retrieval come next)."""

from django.urls import path

from .api.catalog import CatalogView
from .api.definitions import DefinitionDetail, DefinitionListCreate
from .api.online import OnlineView
from .api.sets import SetDetail, SetListCreate

app_name = "features"
urlpatterns = [
    path("catalog", CatalogView.as_view(), name="catalog"),
    path("definitions", DefinitionListCreate.as_view(), name="definitions"),
    path("definitions/<str:name>", DefinitionDetail.as_view(), name="definition"),
    path("sets", SetListCreate.as_view(), name="sets"),
    path("sets/<str:name>", SetDetail.as_view(), name="set"),
    path("online", OnlineView.as_view(), name="online"),
]
