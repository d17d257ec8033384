"""Writes of the ML engine: one atomic service per change, named <thing>_<verb>."""
