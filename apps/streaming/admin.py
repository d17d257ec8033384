"""Django admin of the streaming engine: nothing registered yet."""
