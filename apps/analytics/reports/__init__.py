"""Tear-sheet reports of one portfolio: `data` gathers the figures, `charts` draws them, and one
renderer per format (HTML, PDF, CSV/Excel) writes the file. `tasks.reports` runs them as a job."""
