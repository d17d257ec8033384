"""HTTP views of the strategies engine, one module per resource."""
