from django.apps import AppConfig


class MlConfig(AppConfig):
    name = "apps.ml"
    label = "ml"

    def ready(self) -> None:
        from . import subscriptions

        subscriptions.register()
