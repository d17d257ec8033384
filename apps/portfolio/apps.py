from django.apps import AppConfig


class PortfolioConfig(AppConfig):
    name = "apps.portfolio"
    label = "portfolio"

    def ready(self) -> None:
        from . import subscriptions

        subscriptions.register()
