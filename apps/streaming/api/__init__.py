"""HTTP views of the streaming engine, one module per resource."""
