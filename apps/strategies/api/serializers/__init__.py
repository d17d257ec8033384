"""DRF serializers of the strategies engine, one module per resource (named as in api/)."""
