from django.apps import AppConfig


class StreamingConfig(AppConfig):
    name = "apps.streaming"
    label = "streaming"

    def ready(self) -> None:
        from . import subscriptions

        subscriptions.register()
