"""ws/stream fixtures: communicators through the real ASGI app, and the async DB clean-up."""

from __future__ import annotations

import pytest_asyncio
from asgiref.sync import sync_to_async
from django.db import connections


@pytest_asyncio.fixture(autouse=True)
async def close_async_db_connections():
    """Token/session lookups and visibility loads run in asgiref's sync thread, whose DB connection
    would otherwise outlive the test and block the flush and the test database's teardown."""
    yield
    await sync_to_async(connections.close_all)()
