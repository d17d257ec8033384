from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "apps.analytics"
    label = "analytics"

    def ready(self) -> None:
        # Executions and new bars fan out to the P&L stream task on this engine's queue.
        from . import subscriptions

        subscriptions.register()
