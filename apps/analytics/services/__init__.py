"""Analytics writes: snapshot aging (aggregation) and the streaming P&L publication (streaming)."""
