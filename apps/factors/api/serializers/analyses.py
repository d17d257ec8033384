"""Serializers of factor analyses: the request naming factors over a universe and window (shared by
analyze, correlation and synthesize) and the documents answered (read-only shapes)."""

from __future__ import annotations

from rest_framework import serializers

from apps.platform.fields import BoundedIntegerField, InstantTextField, SymbolField

from ...services.analyses import MAX_HORIZON, MAX_QUANTILES

MAX_FACTORS = 500
MAX_SYMBOLS = 10_000


class FactorsOverWindowSerializer(serializers.Serializer):
    factors = serializers.ListField(
        child=serializers.CharField(max_length=120),
        min_length=1,
        max_length=MAX_FACTORS,
        help_text='Factors: "name" (its latest version), "name@version" or an id.',
    )
    symbols = serializers.ListField(
        child=SymbolField(), required=False, min_length=1, max_length=MAX_SYMBOLS, help_text="The universe."
    )
    universe = serializers.ChoiceField(
        choices=["all"], required=False, help_text='"all": every active instrument (instead of symbols).'
    )
    start = InstantTextField(help_text="Window start (inclusive), ISO date or date-time; naive = UTC.")
    end = InstantTextField(help_text="Window end (exclusive; a bare date includes its day).")

    def validate(self, attrs):
        if ("symbols" in attrs) == ("universe" in attrs):
            raise serializers.ValidationError({"symbols": ['give either symbols or universe "all"']})
        return attrs


class AnalyzeSerializer(FactorsOverWindowSerializer):
    horizons = serializers.ListField(
        child=BoundedIntegerField(min_value=1, max_value=MAX_HORIZON),
        min_length=1,
        max_length=20,
        default=[1, 5, 10],
        help_text="Forward-return horizons in bars; the first is the headline's.",
    )
    quantiles = BoundedIntegerField(min_value=2, max_value=MAX_QUANTILES, default=5)


class FactorRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    label = serializers.CharField(read_only=True, help_text="name@version")


class AnalysisFactorSerializer(FactorRefSerializer):
    name = serializers.CharField(read_only=True)
    version = serializers.IntegerField(read_only=True)
    library = serializers.CharField(read_only=True)


class AnalysisSerializer(serializers.Serializer):
    """A stored analysis (selectors/analyses.analysis_document). Headline numbers are the first
    horizon's: rank IC mean, ICIR (rank IC mean / std), the rank IC t-test, the per-bar top-minus-
    bottom spread, the top quantile turnover; null where undefined."""

    id = serializers.IntegerField(read_only=True)
    factor = AnalysisFactorSerializer(read_only=True)
    digest = serializers.CharField(read_only=True)
    symbols = serializers.ListField(child=serializers.CharField(), read_only=True)
    universe = serializers.CharField(read_only=True, help_text="sha1 of the instrument ids, in order.")
    start = serializers.DateTimeField(read_only=True)
    end = serializers.DateTimeField(read_only=True)
    horizons = serializers.ListField(child=serializers.IntegerField(), read_only=True)
    quantiles = serializers.IntegerField(read_only=True)
    data_fingerprint = serializers.CharField(read_only=True)
    ic_mean = serializers.FloatField(read_only=True, allow_null=True)
    rank_ic_mean = serializers.FloatField(read_only=True, allow_null=True)
    icir = serializers.FloatField(read_only=True, allow_null=True)
    t_stat = serializers.FloatField(read_only=True, allow_null=True)
    p_value = serializers.FloatField(read_only=True, allow_null=True)
    p_value_adjusted = serializers.FloatField(
        read_only=True,
        allow_null=True,
        help_text="Benjamini-Hochberg over the factors of the run that made it.",
    )
    spread = serializers.FloatField(read_only=True, allow_null=True)
    turnover = serializers.FloatField(read_only=True, allow_null=True)
    decay_half_life = serializers.FloatField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    results = serializers.JSONField(
        read_only=True,
        help_text="Per horizon: IC and rank IC summaries and daily series, quantile returns, spread, "
        "turnover, rank autocorrelation; decay over 1..max horizon; rank IC by sector.",
    )


class AnalyzeResponseSerializer(serializers.Serializer):
    analyses = AnalysisSerializer(many=True, read_only=True)
