from django.apps import AppConfig


class PlatformConfig(AppConfig):
    name = "apps.platform"
    label = "platform"

    def ready(self) -> None:
        from django.conf import settings
        from django.db.models.signals import post_delete, post_save
        from rest_framework.authtoken.models import Token

        # Celery signal handlers (task metrics, last task per engine, jobs killed by a hard limit).
        from . import signals  # noqa: F401
        from .authentication import auth_epoch_bump

        # Every process's cached tokens stop counting when a token or a user changes.
        for model in (Token, settings.AUTH_USER_MODEL):
            post_save.connect(auth_epoch_bump, sender=model, dispatch_uid=f"auth-epoch-save-{model}")
            post_delete.connect(auth_epoch_bump, sender=model, dispatch_uid=f"auth-epoch-delete-{model}")
