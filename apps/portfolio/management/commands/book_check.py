"""python manage.py book_check [--fix]: find the rows of the book of record whose values exceed
their column or the API's timestamp range (selectors.book_check); with --fix (services.book_check),
print and delete the bad transactions and rebuild the positions and cash of the portfolios touched."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from apps.portfolio.selectors.book_check import book_problems
from apps.portfolio.services.book_check import book_repair


class Command(BaseCommand):
    help = "Find (and with --fix repair) book rows whose values no booking could write today."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--fix",
            action="store_true",
            help="delete the bad transactions (printed first) and rebuild positions and cash",
        )

    def handle(self, *args, fix: bool = False, **options) -> None:
        problems = book_problems()
        for p in problems:
            # One JSON line per row: enough to book a deleted transaction again, correctly.
            self.stdout.write(json.dumps(p.__dict__))
        if not problems:
            self.stdout.write(self.style.SUCCESS("book_check: every row fits its column and range"))
            return
        if not fix:
            raise CommandError(f"book_check: {len(problems)} bad row(s); run with --fix to repair")
        touched = book_repair(problems)
        self.stdout.write(
            self.style.SUCCESS(f"book_check: repaired {len(problems)} row(s) in portfolio(s) {touched}")
        )
