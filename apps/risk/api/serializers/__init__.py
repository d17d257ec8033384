"""Request and response shapes of the risk API, one module per resource."""
