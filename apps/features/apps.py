from django.apps import AppConfig


class FeaturesConfig(AppConfig):
    name = "apps.features"
    label = "features"

    def ready(self) -> None:
        from . import subscriptions

        subscriptions.register()
