"""Job documents and the selftest request."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from ...models import Job, JobState
from ...selftest import MAX_STEP_SECONDS, MAX_STEPS, MAX_TOTAL_SECONDS


def job_url(request, job: Job) -> str:
    path = reverse("platform:job-detail", kwargs={"pk": job.pk})
    return request.build_absolute_uri(path) if request is not None else path


class JobSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    duration_seconds = serializers.FloatField(read_only=True, allow_null=True)  # null until it finishes

    class Meta:
        model = Job
        fields = [
            "id",
            "url",
            "engine",
            "name",
            "state",
            "progress",
            "message",
            "params",
            "result",
            "error",
            "error_detail",
            "created_at",
            "started_at",
            "finished_at",
            "duration_seconds",
        ]
        read_only_fields = fields
        # Result or error, never both (see to_representation); the schema says they may be absent.
        optional_fields = ["result", "error", "error_detail"]

    def get_url(self, job: Job) -> str:
        return job_url(self.context.get("request"), job)

    def to_representation(self, job: Job) -> dict:
        data = super().to_representation(job)
        # Result or error, never both, and only once there is one.
        if job.state != JobState.SUCCEEDED:
            data.pop("result")
        if job.state != JobState.FAILED:
            data.pop("error")
            data.pop("error_detail")
        return data


class SelftestSerializer(serializers.Serializer):
    steps = serializers.IntegerField(min_value=1, max_value=MAX_STEPS, default=3)
    step_seconds = serializers.FloatField(min_value=0.0, max_value=MAX_STEP_SECONDS, default=0.2)
    fail = serializers.BooleanField(
        default=False, help_text="fail after the last step (tests the error path)"
    )

    def validate(self, attrs: dict) -> dict:
        if attrs["steps"] * attrs["step_seconds"] > MAX_TOTAL_SECONDS:
            raise serializers.ValidationError(
                {"step_seconds": f"steps × step_seconds must not exceed {MAX_TOTAL_SECONDS:g} s"}
            )
        return attrs
