"""Serializers of aliases and their history (`/api/ml/models/{id}/aliases`)."""

from __future__ import annotations

from rest_framework import serializers

from ...models import AliasMove, ModelAlias
from ...services.aliases import REASON_MAX


class MLAliasWriteSerializer(serializers.Serializer):
    """PUT body: which version the alias should name, and why."""

    version = serializers.IntegerField(min_value=1, max_value=2**31 - 1, help_text="A version number.")
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=REASON_MAX, help_text="Kept in the audit."
    )


class MLAliasSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="version.number", read_only=True, help_text="Version number.")
    version_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = ModelAlias
        fields = ["name", "version", "version_id", "updated_at"]
        read_only_fields = fields


class MLAliasMoveSerializer(serializers.ModelSerializer):
    from_version = serializers.IntegerField(
        source="from_version.number",
        read_only=True,
        allow_null=True,
        help_text="Null: the alias was created.",
    )
    to_version = serializers.IntegerField(
        source="to_version.number", read_only=True, allow_null=True, help_text="Null: the alias was deleted."
    )
    moved_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = AliasMove
        fields = ["id", "alias", "from_version", "to_version", "reason", "moved_by", "moved_at"]
        read_only_fields = fields
