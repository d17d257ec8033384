"""Django admin of the factors engine: definitions, stored analyses and stored factors, read-only.

Versions are immutable records (analyses and stored values keep the version they came from); new
versions come from `definition_save` (POST /api/factors/definitions), which checks the formula.
Analyses and stored values are written by their services; deleting a stored factor here is allowed
(its rows go with it)."""

from django.contrib import admin

from .models import FactorAnalysis, FactorDefinition, FactorSeries


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(FactorDefinition)
class FactorDefinitionAdmin(_ReadOnly):
    list_display = (
        "name",
        "version",
        "library",
        "formula",
        "interval",
        "adjusted",
        "created_by",
        "created_at",
    )
    list_filter = ("library", "interval", "adjusted")
    search_fields = ("name", "formula", "canonical", "description")
    ordering = ("name", "version")
    readonly_fields = [f.name for f in FactorDefinition._meta.fields]


@admin.register(FactorAnalysis)
class FactorAnalysisAdmin(_ReadOnly):
    list_display = (
        "definition",
        "start",
        "end",
        "rank_ic_mean",
        "icir",
        "t_stat",
        "p_value_adjusted",
        "created_at",
    )
    list_filter = ("definition__library",)
    search_fields = ("definition__name",)
    readonly_fields = [f.name for f in FactorAnalysis._meta.fields]


@admin.register(FactorSeries)
class FactorSeriesAdmin(_ReadOnly):
    list_display = ("definition", "first_ts", "last_ts", "updated_at")
    search_fields = ("definition__name",)
    readonly_fields = [f.name for f in FactorSeries._meta.fields]
