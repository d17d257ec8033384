from django.contrib import admin

from .models import Instrument


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):
    list_display = ("symbol", "name", "asset_class", "currency", "exchange", "sector", "country", "is_active")
    list_filter = ("asset_class", "is_active", "currency", "exchange", "sector")
    search_fields = ("symbol", "name", "industry")
    readonly_fields = ("created_at", "updated_at")
    ordering = ("symbol",)
