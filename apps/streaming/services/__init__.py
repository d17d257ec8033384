"""Writes of the streaming engine: one atomic service per change, named <thing>_<verb>."""
