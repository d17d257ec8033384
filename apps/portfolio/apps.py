from django.apps import AppConfig


class PortfolioConfig(AppConfig):
    name = "apps.portfolio"
    label = "portfolio"

    def ready(self) -> None:
        from . import subscriptions
        from .services.book_versions import book_versions_connect

        subscriptions.register()
        book_versions_connect()
