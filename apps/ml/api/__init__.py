"""HTTP views of the ML engine, one module per resource."""
