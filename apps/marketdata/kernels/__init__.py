"""Market-data math on numpy arrays and pandas frames, free of Django: times (windows, UTC),
resample (OHLCV buckets), panels (alignment, fills, returns) and simulation/ (the seedable simulated
market). Selectors load rows; these functions shape them."""
