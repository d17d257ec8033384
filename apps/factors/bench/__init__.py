"""`python manage.py bench factors`: nothing to measure yet (no `run`, so the command does not list it)."""
