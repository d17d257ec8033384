"""The features engine's maths: pure numpy/pandas functions, no Django. None yet."""
