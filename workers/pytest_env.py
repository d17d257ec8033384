"""pytest plugin (loaded with `-p workers.pytest_env` before Django settings are read): with
REDIS_URL unset, the suite gets a private Redis instead of silently using someone else's."""

import os

if not os.environ.get("REDIS_URL"):
    from workers import private_redis

    _proc, os.environ["REDIS_URL"] = private_redis.start()
