"""Analytics kernels: pure numpy/pandas, vectorized over many portfolios at once; no Django."""
