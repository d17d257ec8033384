"""Portfolio optimization kernels (numpy, pandas, scipy, scikit-learn and cvxpy; no Django).

estimators.py / covariance.py  expected returns and covariance from (T, N) returns, missing data by policy
"""

from .estimators import CleanReturns, Estimates, MissingReport, clean_returns, estimate, returns_from_prices

__all__ = ["CleanReturns", "Estimates", "MissingReport", "clean_returns", "estimate", "returns_from_prices"]
