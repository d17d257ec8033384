"""What other engines may import from the factors engine (the only such module): nothing yet."""
