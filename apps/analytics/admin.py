from django.contrib import admin

from .models import PerformanceSnapshot


@admin.register(PerformanceSnapshot)
class PerformanceSnapshotAdmin(admin.ModelAdmin):
    list_display = ("portfolio", "resolution", "ts", "nav", "pnl", "period_return")
    list_filter = ("resolution",)
    search_fields = ("portfolio__code",)
    date_hierarchy = "ts"
    ordering = ("-ts",)
    list_select_related = ("portfolio",)
    # Written by the analytics engine and rolled up by aging; editing one by hand would break the
    # totals the aggregation keeps.
    readonly_fields = ("portfolio", "resolution", "ts", "nav", "pnl", "period_return", "created_at")
