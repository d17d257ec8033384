"""`python manage.py bench ml`: nothing to measure yet (no `run`, so the command does not list it)."""
