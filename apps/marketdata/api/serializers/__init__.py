"""Request and response serializers of the market-data API, one module per resource."""
