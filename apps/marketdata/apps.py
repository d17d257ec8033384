from django.apps import AppConfig


class MarketdataConfig(AppConfig):
    name = "apps.marketdata"
    label = "marketdata"

    def ready(self) -> None:
        from . import subscriptions

        subscriptions.register()
