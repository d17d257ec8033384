"""Serializers of the factor ranking (`GET /api/factors/ranking`)."""

from __future__ import annotations

from rest_framework import serializers

from apps.platform.fields import BoundedIntegerField

from ...selectors.ranking import RANK_BY
from .analyses import FactorRefSerializer


class RankingQuerySerializer(serializers.Serializer):
    by = serializers.ChoiceField(choices=list(RANK_BY), default="icir", help_text="The statistic ranked by.")
    library = serializers.CharField(
        required=False, max_length=32, help_text='Only this library ("" for users\').'
    )
    min_dates = BoundedIntegerField(
        min_value=0,
        max_value=1_000_000,
        default=0,
        help_text="Only analyses with this many IC dates or more.",
    )
    limit = BoundedIntegerField(min_value=1, max_value=1000, default=50)


class RankedRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField(read_only=True)
    factor = FactorRefSerializer(read_only=True)
    value = serializers.FloatField(read_only=True, allow_null=True, help_text="The ranked statistic, signed.")
    ic_mean = serializers.FloatField(read_only=True, allow_null=True)
    rank_ic_mean = serializers.FloatField(read_only=True, allow_null=True)
    icir = serializers.FloatField(read_only=True, allow_null=True)
    t_stat = serializers.FloatField(read_only=True, allow_null=True)
    p_value = serializers.FloatField(read_only=True, allow_null=True)
    p_value_adjusted = serializers.FloatField(
        read_only=True, allow_null=True, help_text="Benjamini-Hochberg over the factors ranked."
    )
    spread = serializers.FloatField(read_only=True, allow_null=True)
    turnover = serializers.FloatField(read_only=True, allow_null=True)
    decay_half_life = serializers.FloatField(read_only=True, allow_null=True)
    n_dates = serializers.IntegerField(read_only=True)
    analysis_id = serializers.IntegerField(read_only=True, help_text="The analysis the numbers are from.")
    symbols = serializers.ListField(child=serializers.CharField(), read_only=True)
    universe = serializers.CharField(read_only=True)
    start = serializers.DateTimeField(read_only=True)
    end = serializers.DateTimeField(read_only=True)
    horizons = serializers.ListField(child=serializers.IntegerField(), read_only=True)
    quantiles = serializers.IntegerField(read_only=True)


class DeflatedBestSerializer(serializers.Serializer):
    factor = serializers.CharField(read_only=True, help_text="The best rank ICIR's factor.")
    analysis_id = serializers.IntegerField(read_only=True)
    rank_icir = serializers.FloatField(read_only=True, allow_null=True)
    expected_max_rank_icir = serializers.FloatField(
        read_only=True, allow_null=True, help_text="The best ICIR as many useless factors would show."
    )
    probability = serializers.FloatField(read_only=True, allow_null=True, help_text="Deflated Sharpe ratio.")
    p_value = serializers.FloatField(read_only=True, allow_null=True)
    trials = serializers.IntegerField(read_only=True)
    lucky = serializers.BooleanField(read_only=True, help_text="p_value > 0.05: the best may be luck.")


class RankingSerializer(serializers.Serializer):
    by = serializers.CharField(read_only=True)
    ranked = serializers.IntegerField(
        read_only=True, help_text="Factors ranked (the family of the adjustments)."
    )
    deflated = DeflatedBestSerializer(read_only=True, allow_null=True)
    results = RankedRowSerializer(many=True, read_only=True)
