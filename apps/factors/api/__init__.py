"""HTTP views of the factors engine, one module per resource."""
