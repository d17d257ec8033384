from django.urls import path

from .api.analyses import AnalysisDetail, AnalyzeView
from .api.correlation import CorrelationMatrixView, FactorCorrelationView
from .api.ranking import RankingView
from .api.screening import ScreenView
from .api.synthesis import SynthesizeView

app_name = "factors"
urlpatterns: list = [
    # analysis, ranking, correlation and synthesis (issue #13)
    path("analyze", AnalyzeView.as_view(), name="analyze"),
    path("analyses/<int:analysis_id>", AnalysisDetail.as_view(), name="analysis"),
    path("ranking", RankingView.as_view(), name="ranking"),
    path("correlation", CorrelationMatrixView.as_view(), name="correlation-matrix"),
    path("correlation/<int:factor_id>", FactorCorrelationView.as_view(), name="correlation"),
    path("synthesize", SynthesizeView.as_view(), name="synthesize"),
    # screening the generated catalogue or a library
    path("screen", ScreenView.as_view(), name="screen"),
]
