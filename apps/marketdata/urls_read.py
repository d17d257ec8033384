from django.urls import re_path

from .api_read import BarsView, SnapshotView

# Trailing slash optional: the issue spells these /bars and /snapshot.
urlpatterns: list = [
    re_path(r"^bars/?$", BarsView.as_view(), name="bars"),
    re_path(r"^snapshot/?$", SnapshotView.as_view(), name="snapshot"),
]
