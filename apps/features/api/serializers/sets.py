"""Serializers of feature sets (`/api/features/sets`)."""

from __future__ import annotations

from rest_framework import serializers

from ...models import FeatureSet
from .definitions import DefinitionSerializer


class SetWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64, help_text="Lowercase letters, digits and _.")
    description = serializers.CharField(required=False, allow_blank=True, default="")
    features = serializers.ListField(
        child=serializers.CharField(max_length=80),
        allow_empty=False,
        help_text='Definitions: "rsi_14" (its latest version, pinned now) or "rsi_14@1" (that version).',
    )


class SetSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    features = serializers.SerializerMethodField(help_text='The pinned versions as "name@version".')
    members = DefinitionSerializer(many=True, read_only=True)

    class Meta:
        model = FeatureSet
        fields = ["name", "description", "features", "members", "created_by", "created_at"]
        read_only_fields = fields

    def get_features(self, obj) -> list[str]:
        return [m.label for m in obj.members.all()]
