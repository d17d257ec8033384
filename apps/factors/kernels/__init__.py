"""The factors engine's maths: pure numpy/pandas functions, no Django. None yet."""
