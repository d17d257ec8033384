from django.urls import path

from .api_attribution import AttributionView

urlpatterns: list = [
    path("attribution/<str:portfolio>", AttributionView.as_view(), name="attribution"),
]
