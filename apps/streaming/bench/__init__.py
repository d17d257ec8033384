"""`python manage.py bench streaming`: nothing to measure yet (no `run`, so the command does not list it)."""
