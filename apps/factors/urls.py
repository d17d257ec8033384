"""/api/factors/: the expression language's reference, versioned factor definitions, factor values
calculated over a universe and window (at once, or as a job with a Parquet download), analysis,
ranking, correlation, synthesis and screening."""

from django.urls import path

from .api.analyses import AnalysisDetail, AnalyzeView
from .api.calculate import CalculateDownloadView, CalculateView
from .api.correlation import CorrelationMatrixView, FactorCorrelationView
from .api.definitions import DefinitionDetail, DefinitionListCreate
from .api.ranking import RankingView
from .api.reference import FieldsView, OperatorsView
from .api.screening import ScreenView
from .api.series import SeriesListCreate, SeriesValuesView
from .api.synthesis import SynthesizeView

app_name = "factors"
urlpatterns = [
    path("operators", OperatorsView.as_view(), name="operators"),
    path("fields", FieldsView.as_view(), name="fields"),
    path("definitions", DefinitionListCreate.as_view(), name="definitions"),
    path("definitions/<str:name>", DefinitionDetail.as_view(), name="definition"),
    path("calculate", CalculateView.as_view(), name="calculate"),
    path("calculate/<uuid:job_id>/download", CalculateDownloadView.as_view(), name="calculate-download"),
    path("analyze", AnalyzeView.as_view(), name="analyze"),
    path("analyses/<int:analysis_id>", AnalysisDetail.as_view(), name="analysis"),
    path("ranking", RankingView.as_view(), name="ranking"),
    path("correlation", CorrelationMatrixView.as_view(), name="correlation-matrix"),
    path("correlation/<str:factor>", FactorCorrelationView.as_view(), name="correlation"),
    path("synthesize", SynthesizeView.as_view(), name="synthesize"),
    path("screen", ScreenView.as_view(), name="screen"),
    path("series", SeriesListCreate.as_view(), name="series"),
    path("series/<int:series_id>/values", SeriesValuesView.as_view(), name="series-values"),
]
