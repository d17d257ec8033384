from django.apps import AppConfig


class FactorsConfig(AppConfig):
    name = "apps.factors"
    label = "factors"

    def ready(self) -> None:
        from . import subscriptions

        subscriptions.register()
