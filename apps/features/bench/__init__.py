"""`python manage.py bench features`: nothing to measure yet (no `run`, so the command does not list it)."""
