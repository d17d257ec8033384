"""Reads of the strategies engine: queries and read-side computation."""
