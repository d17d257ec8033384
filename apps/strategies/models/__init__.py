"""Models of the strategies engine: none yet."""
