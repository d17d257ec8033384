"""Serializers of model versions (`/api/ml/models/{id}/versions`): answers only, every field read-only."""

from __future__ import annotations

from rest_framework import serializers

from ...models import ModelVersion


class MLVersionSerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="model.name", read_only=True, help_text="The model's name.")
    trained_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    hyperparameters = serializers.JSONField(read_only=True)
    library_versions = serializers.JSONField(read_only=True, help_text="Python and library versions used.")
    metrics = serializers.JSONField(read_only=True, help_text="Validation metrics by name.")

    class Meta:
        model = ModelVersion
        fields = [
            "id",
            "model",
            "number",
            "status",
            "train_start",
            "train_end",
            "feature_set_version",
            "hyperparameters",
            "library_versions",
            "metrics",
            "artifact_sha256",
            "artifact_bytes",
            "error",
            "trained_by",
            "created_at",
        ]
        read_only_fields = fields
