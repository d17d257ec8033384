"""Django admin of the ML engine: nothing registered yet."""
