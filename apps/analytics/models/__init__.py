"""Analytics models (performance snapshots). The P&L and metrics themselves are computed, not stored."""
