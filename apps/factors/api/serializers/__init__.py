"""DRF serializers of the factors engine, one module per resource (named as in api/)."""
