"""Risk engine write operations: one module per job (book loading, checks, monitoring, breaches,
escalation, limits, measures, stress, reports)."""
