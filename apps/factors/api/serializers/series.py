"""Serializers of stored factors (`/api/factors/series`): the request to store one factor over a
universe and window, and the documents answered (read-only shapes)."""

from __future__ import annotations

from rest_framework import serializers

from apps.platform.fields import InstantTextField, SymbolField

from .analyses import MAX_SYMBOLS


class SeriesCreateSerializer(serializers.Serializer):
    factor = serializers.CharField(
        max_length=120, help_text='"name" (its latest version), "name@version" or an id.'
    )
    symbols = serializers.ListField(child=SymbolField(), required=False, min_length=1, max_length=MAX_SYMBOLS)
    universe = serializers.ChoiceField(choices=["all"], required=False)
    start = InstantTextField(help_text="Window start (inclusive).")
    end = InstantTextField(help_text="Window end (exclusive; a bare date includes its day).")

    def validate(self, attrs):
        if ("symbols" in attrs) == ("universe" in attrs):
            raise serializers.ValidationError({"symbols": ['give either symbols or universe "all"']})
        return attrs


class SeriesSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    factor = serializers.CharField(read_only=True, help_text="name@version")
    symbols = serializers.ListField(child=serializers.CharField(), read_only=True)
    first_ts = serializers.DateTimeField(read_only=True, allow_null=True)
    last_ts = serializers.DateTimeField(read_only=True, allow_null=True)
    rows = serializers.IntegerField(read_only=True, help_text="Dates stored.")


class SeriesValuesQuerySerializer(serializers.Serializer):
    start = InstantTextField(required=False, help_text="From (inclusive); default: the first stored date.")
    end = InstantTextField(required=False, help_text="To (exclusive); default: after the last.")


class SeriesValuesSerializer(serializers.Serializer):
    dates = serializers.ListField(child=serializers.DateTimeField(), read_only=True)
    symbols = serializers.ListField(child=serializers.CharField(), read_only=True)
    values = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(allow_null=True)),
        read_only=True,
        help_text="values[i][j]: symbol j on date i; null where undefined.",
    )
