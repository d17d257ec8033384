"""Models of the features engine: versioned feature definitions and feature sets."""

from .definitions import FeatureDefinition
from .sets import FeatureSet

__all__ = ["FeatureDefinition", "FeatureSet"]
