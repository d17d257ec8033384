"""Risk reports of one or more portfolios: `data` gathers the figures from the same selectors the APIs
answer with, `charts` draws them, and one renderer per format (JSON, CSV/Excel, HTML, PDF) writes
the file. `apps.risk.tasks.reports` runs them as a job."""
