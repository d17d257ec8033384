"""Models of the ML engine: none yet."""
