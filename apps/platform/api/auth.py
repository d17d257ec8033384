"""POST /api/auth/token: username + password → the user's DRF token, for API clients with no admin access.

Wrong username, wrong password and an inactive account all answer the same 400, so the endpoint
tells nobody which usernames exist. Throttled per client IP (AUTH_TOKEN_THROTTLE_RATE) against
password guessing."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from .serializers.auth import TokenObtainSerializer, TokenSerializer


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


class TokenObtainView(APIView):
    """Exchange a username and password for the user's API token (created on first use)."""

    authentication_classes: list = []  # a stale session or token must not change the answer
    permission_classes = [AllowAny]
    throttle_classes = [TokenObtainThrottle]
    throttle_scope = "auth_token"

    @extend_schema(
        request=TokenObtainSerializer,
        # 400 (missing fields, bad credentials) and 429 come from the shared error answers.
        responses={200: TokenSerializer},
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        ser = TokenObtainSerializer(data=request.data, context={"request": request})
        ser.is_valid(raise_exception=True)
        token, _ = Token.objects.get_or_create(user=ser.validated_data["user"])
        return Response(TokenSerializer({"token": token.key}).data)
