"""Models of the factors engine: none yet."""
