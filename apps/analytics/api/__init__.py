"""Analytics HTTP API: one module per resource (pnl, performance, attribution, reports)."""
