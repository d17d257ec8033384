"""Models of the streaming engine: none yet."""
