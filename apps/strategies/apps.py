from django.apps import AppConfig


class StrategiesConfig(AppConfig):
    name = "apps.strategies"
    label = "strategies"

    def ready(self) -> None:
        from . import subscriptions

        subscriptions.register()
