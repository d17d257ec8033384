"""Django admin of the ML engine: read-mostly.

- Models: listed and searchable; only the description may be edited. Models are registered by the
  engine (services/ml_models.py); deleting one goes through `model_delete`, which refuses while it has
  aliases and removes its artifact files.
- Versions and alias moves: read-only, like the rows themselves (models/immutable.py).
- Aliases: created, moved and deleted through `alias_move` / `alias_delete`, so every change is
  audited (with the reason given in the form) and published on the bus.
- A/B tests and prediction records: read-only; tests are started, stopped and promoted through the API
  (services/abtests.py), records written by predictions and their outcomes.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from .models import (
    ABTest,
    ABTestArm,
    AliasMove,
    MLModel,
    ModelAlias,
    ModelVersion,
    PredictionRecord,
    VersionStatus,
)
from .services.aliases import REASON_MAX, alias_delete, alias_move
from .services.ml_models import model_delete


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class VersionInline(admin.TabularInline):
    model = ModelVersion
    fields = ("number", "status", "train_start", "train_end", "artifact_sha256", "trained_by", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(MLModel)
class MLModelAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "estimator", "target", "feature_set_name", "created_by", "created_at")
    list_filter = ("kind", "estimator")
    search_fields = ("name", "target", "description")
    readonly_fields = [f.name for f in MLModel._meta.fields if f.name != "description"]
    inlines = [VersionInline]

    def has_add_permission(self, request) -> bool:
        return False

    def delete_model(self, request, obj):
        try:
            model_delete(model=obj, user=request.user)
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), messages.ERROR)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(ModelVersion)
class ModelVersionAdmin(_ReadOnly):
    list_display = ("model", "number", "status", "train_start", "train_end", "trained_by", "created_at")
    list_filter = ("status", "model__kind")
    search_fields = ("model__name", "artifact_sha256")
    readonly_fields = [f.name for f in ModelVersion._meta.fields]


class AliasForm(forms.ModelForm):
    reason = forms.CharField(
        required=False, max_length=REASON_MAX, widget=forms.Textarea, help_text="Kept in the audit trail."
    )

    class Meta:
        model = ModelAlias
        fields = ("model", "name", "version")

    def clean(self):
        data = super().clean()
        model, version = data.get("model"), data.get("version")
        model = model or getattr(self.instance, "model", None)
        if model is not None and version is not None and version.model_id != model.pk:
            self.add_error("version", "Pick a version of this model.")
        elif version is not None and version.status != VersionStatus.READY:
            self.add_error("version", f"Version {version.number} is {version.status}, not ready.")
        return data


@admin.register(ModelAlias)
class ModelAliasAdmin(admin.ModelAdmin):
    form = AliasForm
    list_display = ("model", "name", "version", "updated_at")
    search_fields = ("model__name", "name")
    list_select_related = ("model", "version")

    def get_readonly_fields(self, request, obj=None):
        return ("model", "name") if obj is not None else ()

    def save_model(self, request, obj, form, change):
        # Through the service, so the move is audited and published; the form's instance is
        # refreshed from what it wrote.
        moved = alias_move(
            model=form.cleaned_data.get("model") or obj.model,
            name=form.cleaned_data.get("name") or obj.name,
            version=form.cleaned_data["version"],
            user=request.user,
            reason=form.cleaned_data.get("reason", ""),
        )
        obj.pk = moved.alias.pk
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        alias_delete(model=obj.model, name=obj.name, user=request.user, reason="deleted in the admin")

    def delete_queryset(self, request, queryset):
        for obj in queryset.select_related("model"):
            self.delete_model(request, obj)


@admin.register(AliasMove)
class AliasMoveAdmin(_ReadOnly):
    list_display = ("model", "alias", "from_version", "to_version", "moved_by", "moved_at", "reason")
    list_filter = ("alias",)
    search_fields = ("model__name", "alias", "reason")
    readonly_fields = [f.name for f in AliasMove._meta.fields]
    list_select_related = ("model", "from_version", "to_version", "moved_by")


class ABTestArmInline(admin.TabularInline):
    model = ABTestArm
    fields = ("position", "version", "weight")
    readonly_fields = fields
    can_delete = False
    extra = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ABTest)
class ABTestAdmin(_ReadOnly):
    list_display = ("name", "model", "status", "shadow", "horizon", "created_by", "created_at")
    list_filter = ("status",)
    search_fields = ("name", "model__name")
    inlines = [ABTestArmInline]


@admin.register(PredictionRecord)
class PredictionRecordAdmin(_ReadOnly):
    list_display = (
        "symbol",
        "model",
        "version",
        "test",
        "role",
        "bar_ts",
        "predicted_return",
        "realized_return",
    )
    list_filter = ("role",)
    search_fields = ("symbol", "model__name")
    list_select_related = ("model", "version", "test")
