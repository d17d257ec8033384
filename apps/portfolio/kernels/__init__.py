"""Pure arithmetic of the book of record (Decimal; no Django): see book.py."""
