"""Django admin of the factors engine: nothing registered yet."""
