"""Django admin of the features engine: definitions and sets, read-mostly.

Versions are immutable records (values keep the version they came from), so the admin shows them
but neither changes nor adds them: new versions come from `definition_save` (POST
/api/features/definitions), which checks the recipe against the catalogue. A set's description may
be edited; its pinned members may not.
"""

from django.contrib import admin

from .models import FeatureDefinition, FeatureSet


@admin.register(FeatureDefinition)
class FeatureDefinitionAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "version",
        "function",
        "output",
        "interval",
        "adjusted",
        "benchmark",
        "created_by",
        "created_at",
    )
    list_filter = ("function", "interval", "adjusted")
    search_fields = ("name", "function")
    ordering = ("name", "version")
    readonly_fields = [f.name for f in FeatureDefinition._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(FeatureSet)
class FeatureSetAdmin(admin.ModelAdmin):
    list_display = ("name", "description", "created_by", "created_at")
    search_fields = ("name", "description")
    ordering = ("name",)
    readonly_fields = ("name", "members", "created_by", "created_at")

    def has_add_permission(self, request) -> bool:
        return False
