"""The risk engine's HTTP API, one module per resource (urls.py at the app's top lists them)."""
