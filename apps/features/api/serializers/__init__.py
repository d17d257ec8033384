"""DRF serializers of the features engine, one module per resource (named as in api/)."""
