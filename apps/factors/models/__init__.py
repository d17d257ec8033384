"""Models of the factors engine."""

from .analyses import FactorAnalysis
from .definitions import FactorDefinition

__all__ = ["FactorAnalysis", "FactorDefinition"]
