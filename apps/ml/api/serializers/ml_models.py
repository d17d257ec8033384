"""Serializers of registered models (`/api/ml/models`): answers only, every field read-only."""

from __future__ import annotations

from rest_framework import serializers

from ...models import MLModel, ModelKind
from .aliases import MLAliasSerializer
from .versions import MLVersionSerializer


class MLModelQuerySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=ModelKind.choices, required=False, help_text="Only models of this kind."
    )


class MLModelSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = MLModel
        fields = [
            "id",
            "name",
            "kind",
            "estimator",
            "target",
            "feature_set_name",
            "feature_set_version",
            "description",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class MLModelDetailSerializer(MLModelSerializer):
    versions = MLVersionSerializer(many=True, read_only=True, help_text="Every version, oldest first.")
    aliases = MLAliasSerializer(many=True, read_only=True)

    class Meta(MLModelSerializer.Meta):
        fields = [*MLModelSerializer.Meta.fields, "versions", "aliases"]
        read_only_fields = fields
