from django.apps import AppConfig


class PlatformConfig(AppConfig):
    name = "apps.platform"
    label = "platform"

    def ready(self) -> None:
        # Celery signal handlers (task metrics, last task per engine, jobs killed by a hard limit).
        from . import signals  # noqa: F401
