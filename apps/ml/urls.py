"""/api/ml/: the model registry (models, their immutable versions, aliases and alias history) and
training."""

from django.urls import path

from .api.aliases import AliasDetail, AliasHistory, AliasList
from .api.ml_models import ModelDetail, ModelList
from .api.training import TrainView
from .api.versions import VersionDetail, VersionList

app_name = "ml"
urlpatterns = [
    # Training (before the registry's models/<ref>, which would otherwise take "train" for a model).
    path("models/train", TrainView.as_view(), name="train"),
    # The registry.
    path("models", ModelList.as_view(), name="models"),
    path("models/<str:ref>", ModelDetail.as_view(), name="model"),
    path("models/<str:ref>/versions", VersionList.as_view(), name="versions"),
    path("models/<str:ref>/versions/<int:number>", VersionDetail.as_view(), name="version"),
    path("models/<str:ref>/aliases", AliasList.as_view(), name="aliases"),
    path("models/<str:ref>/aliases/<str:name>", AliasDetail.as_view(), name="alias"),
    path("models/<str:ref>/aliases/<str:name>/history", AliasHistory.as_view(), name="alias-history"),
]
