from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "apps.risk"
    label = "risk"

    def ready(self) -> None:
        # New bars and executions fan out to the event-driven limit check on this engine's queue.
        from . import subscriptions
        from .services.limit_versions import limit_versions_connect

        subscriptions.register()
        limit_versions_connect()
