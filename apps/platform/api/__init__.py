"""Platform HTTP, one module per resource: health (/health, /metrics), engines, jobs, auth (the API token)."""
