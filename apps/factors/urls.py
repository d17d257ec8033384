"""/api/factors/: the expression language's reference, versioned factor definitions, and factor
values calculated over a universe and window (at once, or as a job with a Parquet download)."""

from django.urls import path

from .api.calculate import CalculateDownloadView, CalculateView
from .api.definitions import DefinitionDetail, DefinitionListCreate
from .api.reference import FieldsView, OperatorsView

app_name = "factors"
urlpatterns: list = []

# Language reference, definitions, calculate (issue #13, factors-api).
urlpatterns += [
    path("operators", OperatorsView.as_view(), name="operators"),
    path("fields", FieldsView.as_view(), name="fields"),
    path("definitions", DefinitionListCreate.as_view(), name="definitions"),
    path("definitions/<str:name>", DefinitionDetail.as_view(), name="definition"),
    path("calculate", CalculateView.as_view(), name="calculate"),
    path("calculate/<uuid:job_id>/download", CalculateDownloadView.as_view(), name="calculate-download"),
]
