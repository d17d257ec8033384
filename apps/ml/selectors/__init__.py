"""Reads of the ML engine: queries and read-side computation."""
