"""Models of the features engine: versioned feature definitions, feature sets and the store."""

from .computations import FeatureComputation
from .definitions import FeatureDefinition
from .latest import FeatureLatest
from .sets import FeatureSet
from .store import BLOCK_WIDTH, FeatureColumns, FeatureRow, FeatureSeries

__all__ = [
    "BLOCK_WIDTH",
    "FeatureColumns",
    "FeatureComputation",
    "FeatureDefinition",
    "FeatureLatest",
    "FeatureRow",
    "FeatureSeries",
    "FeatureSet",
]
