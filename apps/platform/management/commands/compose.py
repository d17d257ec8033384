"""`manage.py compose` writes docker/docker-compose.yml and docker/prometheus/prometheus.yml from
workers/registry.py; `--check` (CI) fails when the committed files are stale."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from workers import compose


class Command(BaseCommand):
    help = "Generate the production compose and Prometheus files from the engine registry (--check: verify)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Write nothing; exit non-zero if a committed file differs from the generated one.",
        )
        parser.add_argument(
            "--root",
            type=Path,
            default=compose.REPO_ROOT,
            help="Repository root to write or check under (default: this checkout).",
        )

    def handle(self, *args, check: bool, root: Path, **options):
        if check:
            stale = compose.stale_files(root=root)
            if stale:
                for diff in stale.values():
                    self.stderr.write(diff)
                names = ", ".join(str(p) for p in stale)
                raise CommandError(
                    f"{names} out of date with workers/registry.py. "
                    "Run `python manage.py compose` (or `make compose`) and commit the result; "
                    "never edit the generated files by hand."
                )
            self.stdout.write(f"up to date: {', '.join(str(p) for p in compose.RENDERERS)}")
            return
        for path in compose.write_all(root=root):
            self.stdout.write(f"wrote {path}")
