"""Reads of the streaming engine: queries and read-side computation."""
