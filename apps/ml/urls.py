"""/api/ml/: the model registry (models, their immutable versions, aliases and alias history),
training and predictions."""

from django.urls import path

from .api.abtests import ABTestCreate, ABTestDetail, ABTestPromote, ABTestStop
from .api.aliases import AliasDetail, AliasHistory, AliasList
from .api.ml_models import ModelDetail, ModelList
from .api.performance import ModelPerformance
from .api.predictions import PricePredictView
from .api.regimes import RegimePredictView
from .api.sentiment import SentimentPredictView
from .api.training import TrainView
from .api.versions import VersionDetail, VersionList
from .api.volatility import VolatilityPredictView

app_name = "ml"
urlpatterns = [
    # Training (before the registry's models/<ref>, which would otherwise take "train" for a model).
    path("models/train", TrainView.as_view(), name="train"),
    # A/B tests (before models/<ref> too: "ab_test" is no model's name).
    path("models/ab_test", ABTestCreate.as_view(), name="ab-test-create"),
    path("models/ab_test/<int:pk>", ABTestDetail.as_view(), name="ab-test"),
    path("models/ab_test/<int:pk>/promote", ABTestPromote.as_view(), name="ab-test-promote"),
    path("models/ab_test/<int:pk>/stop", ABTestStop.as_view(), name="ab-test-stop"),
    # The registry.
    path("models", ModelList.as_view(), name="models"),
    path("models/<str:ref>", ModelDetail.as_view(), name="model"),
    path("models/<str:ref>/performance", ModelPerformance.as_view(), name="performance"),
    path("models/<str:ref>/versions", VersionList.as_view(), name="versions"),
    path("models/<str:ref>/versions/<int:number>", VersionDetail.as_view(), name="version"),
    path("models/<str:ref>/aliases", AliasList.as_view(), name="aliases"),
    path("models/<str:ref>/aliases/<str:name>", AliasDetail.as_view(), name="alias"),
    path("models/<str:ref>/aliases/<str:name>/history", AliasHistory.as_view(), name="alias-history"),
]

# Predictions: POST /api/ml/predict/{model_type}, one path per kind of model (each its own body); any
# other model_type is a 404.
urlpatterns += [
    path("predict/price", PricePredictView.as_view(), name="predict-price"),
    path("predict/volatility", VolatilityPredictView.as_view(), name="predict-volatility"),
    path("predict/regime", RegimePredictView.as_view(), name="predict-regime"),
    path("predict/sentiment", SentimentPredictView.as_view(), name="predict-sentiment"),
]
