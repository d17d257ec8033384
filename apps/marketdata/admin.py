from django.contrib import admin
from django.db.models import Count

from .models import EconomicSeries, Instrument


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):
    list_display = ("symbol", "name", "asset_class", "currency", "exchange", "sector", "country", "is_active")
    list_filter = ("asset_class", "is_active", "currency", "exchange", "sector")
    search_fields = ("symbol", "name", "industry")
    readonly_fields = ("created_at", "updated_at")
    ordering = ("symbol",)


@admin.register(EconomicSeries)
class EconomicSeriesAdmin(admin.ModelAdmin):
    """Series metadata only: observations (composite primary key) have no admin in Django 5.2, so
    they are loaded with ingest_series or POST /api/marketdata/series/upload."""

    list_display = ("code", "title", "frequency", "units", "source", "observation_count", "updated_at")
    list_filter = ("frequency", "source")
    search_fields = ("code", "title")
    readonly_fields = ("created_at", "updated_at")
    ordering = ("code",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_observations=Count("observations"))

    @admin.display(description="observations", ordering="_observations")
    def observation_count(self, obj) -> int:
        return obj._observations
