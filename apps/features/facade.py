"""What other engines may import from the features engine (the only such module): nothing yet."""
