"""DRF serializers of the streaming engine, one module per resource (named as in api/)."""
