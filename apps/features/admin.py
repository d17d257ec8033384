"""Django admin of the features engine: nothing registered yet."""
