"""Writes of the strategies engine: one atomic service per change, named <thing>_<verb>."""
