"""Username + password in, the API token out (POST /api/auth/token)."""

from __future__ import annotations

from django.contrib.auth import authenticate
from rest_framework import serializers

BAD_CREDENTIALS = "Unable to log in with the given username and password."


class TokenObtainSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, trim_whitespace=False)
    password = serializers.CharField(
        max_length=4096, trim_whitespace=False, write_only=True, style={"input_type": "password"}
    )

    def validate(self, attrs):
        # ModelBackend refuses inactive users, so they get the same answer as a wrong password.
        user = authenticate(
            self.context.get("request"), username=attrs["username"], password=attrs["password"]
        )
        if user is None or not user.is_active:
            raise serializers.ValidationError({"password": [BAD_CREDENTIALS]})
        attrs["user"] = user
        return attrs


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True, help_text="Send as `Authorization: Token <token>`.")
