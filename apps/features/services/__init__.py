"""Writes of the features engine: one atomic service per change, named <thing>_<verb>."""
