"""Jobs in the admin: read-only — their state belongs to the workers that run them."""

from django.contrib import admin

from .models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("id", "engine", "name", "state", "progress", "created_by", "created_at", "finished_at")
    list_filter = ("engine", "state")
    search_fields = ("id", "name", "celery_task_id", "created_by__username")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    list_select_related = ("created_by",)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
