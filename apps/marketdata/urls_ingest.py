"""Ingestion: file uploads that become jobs on the marketdata queue."""

from django.urls import path

from .api_ingest import BarsUploadView, FundamentalsUploadView, FxUploadView, SeriesUploadView

urlpatterns: list = [
    path("bars/upload", BarsUploadView.as_view(), name="bars-upload"),
    path("series/upload", SeriesUploadView.as_view(), name="series-upload"),
    path("fundamentals/upload", FundamentalsUploadView.as_view(), name="fundamentals-upload"),
    path("fx/upload", FxUploadView.as_view(), name="fx-upload"),
]
