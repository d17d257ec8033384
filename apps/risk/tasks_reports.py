"""Placeholder: filled in by the risk engine work."""
