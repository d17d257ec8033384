"""The factors engine's maths: pure numpy/pandas/scipy functions, no Django (correlation, orthogonalize, synthesis)."""
