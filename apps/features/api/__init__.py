"""HTTP views of the features engine, one module per resource."""
