"""What other engines may import from the strategies engine (the only such module): nothing yet."""
