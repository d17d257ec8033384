"""Reads of the factors engine: queries and read-side computation."""
