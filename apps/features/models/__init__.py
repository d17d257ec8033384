"""Models of the features engine: none yet."""
