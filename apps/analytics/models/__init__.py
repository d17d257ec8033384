"""Analytics models (performance snapshots). The P&L and metrics themselves are computed, not stored."""

from .snapshots import PerformanceSnapshot, Resolution

__all__ = ["PerformanceSnapshot", "Resolution"]
