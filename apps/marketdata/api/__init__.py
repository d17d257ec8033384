"""DRF views of the market-data engine, one module per resource (instruments, ingest, feeds, bars,
snapshot); their serializers in api/serializers/, the instrument filter in filters.py."""
