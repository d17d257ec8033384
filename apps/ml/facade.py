"""What other engines may import from the ML engine (the only such module): nothing yet."""
