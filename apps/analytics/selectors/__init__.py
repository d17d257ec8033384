"""Analytics reads: P&L now (pnl), the book replay (book, pricing) and its returns (returns), the
metrics (performance) and attribution (attribution*, book_periods); other engines' data through
their facades (sources). Every function here reads; nothing is written."""
