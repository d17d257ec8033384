"""What other engines may import from the streaming engine (the only such module): nothing yet."""
