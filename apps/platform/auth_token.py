"""POST /api/auth/token: username + password → the user's DRF token, for API clients with no admin access.

Wrong username, wrong password and an inactive account all answer the same 400, so the endpoint
tells nobody which usernames exist. Throttled per client IP (AUTH_TOKEN_THROTTLE_RATE) against
password guessing."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate
from rest_framework import serializers
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

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


class TokenObtainThrottle(ScopedRateThrottle):
    """Per client IP (the view is unauthenticated); the rate is read per request so it is a setting."""

    def get_rate(self):
        return settings.AUTH_TOKEN_THROTTLE_RATE

    def get_ident(self, request):
        # DRF trusts X-Forwarded-For unless NUM_PROXIES is set: a guesser would name a new address
        # per request. Only REMOTE_ADDR counts until the deployment says how many proxies it has.
        if api_settings.NUM_PROXIES is None:
            return request.META.get("REMOTE_ADDR")
        return super().get_ident(request)
