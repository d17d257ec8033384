"""Writes of the factors engine: one atomic service per change, named <thing>_<verb>."""
