"""`python manage.py bench strategies`: nothing to measure yet (no `run`, so the command does not list it)."""
