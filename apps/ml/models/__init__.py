"""Models of the ML engine: the registry (models, immutable versions, aliases and their audit)."""

from .abtests import ABTest, ABTestArm, ABTestStatus, PredictionRecord, RecordRole
from .aliases import AliasMove, ModelAlias
from .immutable import ImmutableRecordError
from .ml_models import ESTIMATORS, MLModel, ModelKind
from .versions import ModelVersion, VersionStatus

__all__ = [
    "ABTest",
    "ABTestArm",
    "ABTestStatus",
    "PredictionRecord",
    "RecordRole",
    "ESTIMATORS",
    "AliasMove",
    "ImmutableRecordError",
    "MLModel",
    "ModelAlias",
    "ModelKind",
    "ModelVersion",
    "VersionStatus",
]
