"""/api/features/: the catalogue of functions, versioned feature definitions, feature sets, compute
jobs and the stored values."""

from django.urls import path

from .api.catalog import CatalogView
from .api.compute import ComputeView
from .api.definitions import DefinitionDetail, DefinitionListCreate
from .api.historical import HistoricalView
from .api.online import OnlineView
from .api.sets import SetDetail, SetListCreate
from .api.values import ValuesView

app_name = "features"
urlpatterns = [
    path("catalog", CatalogView.as_view(), name="catalog"),
    path("definitions", DefinitionListCreate.as_view(), name="definitions"),
    path("definitions/<str:name>", DefinitionDetail.as_view(), name="definition"),
    path("sets", SetListCreate.as_view(), name="sets"),
    path("sets/<str:name>", SetDetail.as_view(), name="set"),
    path("compute", ComputeView.as_view(), name="compute"),
    path("values", ValuesView.as_view(), name="values"),
    path("historical", HistoricalView.as_view(), name="historical"),
    path("online", OnlineView.as_view(), name="online"),
]
