"""The portfolio API, one module per resource: portfolios, positions, transactions."""
