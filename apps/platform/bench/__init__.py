"""`manage.py bench platform` (run.py); the bench worker other engines' benches share (workers.py)."""

from .run import run
from .workers import celery_worker, worker_stop

__all__ = ["celery_worker", "run", "worker_stop"]
