from django.urls import path

from .api_performance import BenchmarkView, PerformanceView

urlpatterns: list = [
    path("performance/<str:portfolio>", PerformanceView.as_view(), name="performance"),
    path("benchmark/<str:portfolio>", BenchmarkView.as_view(), name="benchmark"),
]
