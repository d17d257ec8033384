from django.urls import path

from .api_pnl import CalculateView

urlpatterns: list = [
    path("calculate/<str:portfolio_id>", CalculateView.as_view(), name="calculate"),
]
