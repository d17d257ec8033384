"""Reads of the features engine: queries and read-side computation."""
