"""Market-data math on numpy arrays and pandas frames, free of Django: OHLCV resampling and panel
alignment. Selectors load rows; these functions shape them."""
