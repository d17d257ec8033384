"""Request and response shapes of the analytics API, one module per resource."""
