"""Django admin of the strategies engine: nothing registered yet."""
