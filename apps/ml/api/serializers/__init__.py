"""DRF serializers of the ML engine, one module per resource (named as in api/)."""
