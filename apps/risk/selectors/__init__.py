"""Reads of the risk engine and read-side computation (books, limit checks, VaR, stress), one module
per resource."""
