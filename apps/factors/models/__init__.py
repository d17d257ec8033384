"""Models of the factors engine."""

from .analyses import FactorAnalysis
from .definitions import FactorDefinition
from .values import FactorRow, FactorSeries

__all__ = ["FactorAnalysis", "FactorDefinition", "FactorRow", "FactorSeries"]
