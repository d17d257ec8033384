"""Settings shared by every environment; each value comes from the environment (one environ.Env)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import environ
from kombu import Queue

from workers.registry import PRIORITY_STEPS, QUEUES, VISIBILITY_TIMEOUT
from workers.routing import route_task
from workers.schedule import as_celery_beat_schedule

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VERSION = "0.1.0"
SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-insecure-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# Under /api/ a CSRF refusal is JSON like every other API error; elsewhere Django's page.
CSRF_FAILURE_VIEW = "apps.platform.errors.csrf_failure"

INSTALLED_APPS = [
    "django_prometheus",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "django_celery_beat",
    "channels",
    "apps.platform",
    "apps.marketdata",
    "apps.features",
    "apps.factors",
    "apps.ml",
    "apps.analytics",
    "apps.risk",
    "apps.portfolio",
    "apps.strategies",
    "apps.streaming",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "nautilus.urls"
WSGI_APPLICATION = "nautilus.wsgi.application"
ASGI_APPLICATION = "nautilus.asgi.application"
# Threads of a web process serving HTTP (nautilus/asgi.py): requests beyond this many wait for one.
WEB_THREADS = env.int("WEB_THREADS", default=8)

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ------------------------------------------------------------------------------------
# DATABASE_URL unset → SQLite tuned so nine worker processes can write: WAL, IMMEDIATE transactions
# (a writer takes the lock up front instead of failing on upgrade) and a busy timeout.
DATABASE_URL = env("DATABASE_URL", default="")
if DATABASE_URL:
    DATABASES = {"default": env.db_url_config(DATABASE_URL)}
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("SQLITE_PATH", default=str(BASE_DIR / "var" / "nautilus.sqlite3")),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / "var" / "static"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))

# --- Redis: broker, event bus, channel layer ----------------------------------------------------
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
# The bus keeps each topic stream bounded (approximate MAXLEN) and buffers this many events in
# memory while Redis is unreachable.
BUS_STREAM_MAXLEN = env.int("BUS_STREAM_MAXLEN", default=100_000)
BUS_BUFFER_SIZE = env.int("BUS_BUFFER_SIZE", default=10_000)
BUS_STREAM_PREFIX = env("BUS_STREAM_PREFIX", default="nautilus:bus:")

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "prefix": env("CHANNELS_PREFIX", default="nautilus:ws")},
    }
}

CACHES = {
    "default": {
        "BACKEND": "apps.platform.cache.SharedRedisCache",  # one client per process (cache.py)
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "nautilus",
    }
}

# --- Celery ---------------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = env.int("CELERY_RESULT_EXPIRES", default=3600)
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_ROUTES = (route_task,)
# Declared so that Flower, `celery inspect` and a worker started without -Q know all nine queues.
CELERY_TASK_QUEUES = tuple(Queue(q, routing_key=q) for q in QUEUES)
CELERY_TASK_DEFAULT_QUEUE = "streaming"
CELERY_TASK_CREATE_MISSING_QUEUES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_TRACK_STARTED = True
CELERY_TASK_SEND_SENT_EVENT = True
CELERY_WORKER_SEND_TASK_EVENTS = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A worker takes a message off the broker only when a pool process is free to start it (Celery's
# Redis-only `worker_disable_prefetch`). Prefetch 1 alone is not enough: a task acked early
# (acks_late=False, like the monitor's batches) frees its slot as it starts, and the worker then
# holds one more message it cannot run yet — a risk check arriving meanwhile waits behind it.
CELERY_WORKER_DISABLE_PREFETCH = env.bool("CELERY_WORKER_DISABLE_PREFETCH", default=True)
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": VISIBILITY_TIMEOUT,
    "priority_steps": PRIORITY_STEPS,
    "sep": ":",
    "queue_order_strategy": "priority",
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": VISIBILITY_TIMEOUT}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = as_celery_beat_schedule()

# A view waits at most this long for a small job before answering 202 with the job's URL.
JOB_SYNC_WAIT_SECONDS = env.float("JOB_SYNC_WAIT_SECONDS", default=5.0)

# Health: an engine whose queue holds more than this many messages is "degraded". The worker
# broadcast behind /health and /api/engines/ is taken by the platform heartbeat (every 10 s) and
# shared through the cache; a request takes it itself only when it is older than this.
HEALTH_QUEUE_BACKLOG = env.int("HEALTH_QUEUE_BACKLOG", default=1000)
HEALTH_WORKER_CACHE_SECONDS = env.float("HEALTH_WORKER_CACHE_SECONDS", default=30.0)

# --- Market data ---------------------------------------------------------------------------------
MARKETDATA_UPLOAD_MAX_BYTES = env.int("MARKETDATA_UPLOAD_MAX_BYTES", default=500 * 1024 * 1024)
MARKETDATA_BARS_MAX_ROWS = env.int("MARKETDATA_BARS_MAX_ROWS", default=1_000_000)  # per bars read
MARKETDATA_READ_MAX_SYMBOLS = env.int("MARKETDATA_READ_MAX_SYMBOLS", default=500)

# --- Features -------------------------------------------------------------------------------------
# A compute job splits its instruments into chunks of this many; each chunk is one task on the pool.
FEATURES_COMPUTE_CHUNK_SYMBOLS = env.int("FEATURES_COMPUTE_CHUNK_SYMBOLS", default=25)
FEATURES_COMPUTE_MAX_SYMBOLS = env.int("FEATURES_COMPUTE_MAX_SYMBOLS", default=10_000)
FEATURES_COMPUTE_MAX_DEFINITIONS = env.int("FEATURES_COMPUTE_MAX_DEFINITIONS", default=1_000)
# GET /api/features/values: symbols per request and rows per answer (a row: one symbol at one bar).
FEATURES_VALUES_MAX_SYMBOLS = env.int("FEATURES_VALUES_MAX_SYMBOLS", default=500)
FEATURES_VALUES_MAX_ROWS = env.int("FEATURES_VALUES_MAX_ROWS", default=1_000_000)
# New bars within this window are updated together (one leading and one trailing run).
FEATURES_BAR_COALESCE_MS = env.int("FEATURES_BAR_COALESCE_MS", default=200)
# Point-in-time retrieval: a stored value stays usable this many bars of its definition's interval
# after it became known (5 daily bars cover a long weekend); older, it is missing rather than stale.
FEATURES_TTL_BARS = env.int("FEATURES_TTL_BARS", default=5)
# Entity rows of one point-in-time request (a Parquet upload; a JSON body is capped lower, see
# apps/features/api/serializers/historical.py).
FEATURES_MAX_ENTITY_ROWS = env.int("FEATURES_MAX_ENTITY_ROWS", default=1_000_000)
# GET /api/features/online: symbols per request (a longer list is a 400 naming `symbols`).
FEATURES_MAX_SYMBOLS = env.int("FEATURES_MAX_SYMBOLS", default=1000)
# Online reads: the web process keeps the latest values it read (selectors/online_cache.py), checked
# against per-instrument versions in Redis on every read; none is served older than this (it covers a
# version bump lost while Redis was down), and at most this many definition lists are kept.
FEATURES_ONLINE_CACHE_MAX_AGE_S = env.float("FEATURES_ONLINE_CACHE_MAX_AGE_S", default=1.0)
FEATURES_ONLINE_CACHE_LISTS = env.int("FEATURES_ONLINE_CACHE_LISTS", default=32)

# Factors: the process cache of evaluated sub-expressions (apps/factors/selectors/evaluation.py).
FACTORS_CACHE_BYTES = env.int("FACTORS_CACHE_BYTES", default=1 << 30)
# Factors: new bars within this many ms extend the stored factors in one run (tasks/incremental.py).
FACTORS_BAR_COALESCE_MS = env.int("FACTORS_BAR_COALESCE_MS", default=200)
# POST /api/factors/calculate and /analyze: a request of more cells (dates x symbols x factors) runs as
# a job (calculate's result is a Parquet file); above these caps a calculate request is a 400.
FACTORS_SYNC_MAX_CELLS = env.int("FACTORS_SYNC_MAX_CELLS", default=2_000_000)
FACTORS_MAX_SYMBOLS = env.int("FACTORS_MAX_SYMBOLS", default=3_000)
FACTORS_MAX_FORMULAS = env.int("FACTORS_MAX_FORMULAS", default=200)

# --- ML -------------------------------------------------------------------------------------------
# Model artifacts are written here by the engine itself (never uploaded) and loaded only after their
# sha256 matches the registry; a version stores its path relative to this root.
ML_ARTIFACT_ROOT = env("ML_ARTIFACT_ROOT", default=str(Path(MEDIA_ROOT) / "ml"))
# Loaded artifacts each process keeps (least recently used dropped first).
ML_ARTIFACT_CACHE_SIZE = env.int("ML_ARTIFACT_CACHE_SIZE", default=32)
# Rows one prediction call takes: the batch facade (other engines, scoring jobs) and the API (a JSON
# body is read whole, under DATA_UPLOAD_MAX_MEMORY_SIZE, so the API's cap is lower). Beyond: a 400.
ML_PREDICT_MAX_ROWS = env.int("ML_PREDICT_MAX_ROWS", default=100_000)
ML_PREDICT_API_MAX_ROWS = env.int("ML_PREDICT_API_MAX_ROWS", default=10_000)
# Bars ahead a volatility forecast goes, and characters per text a sentiment model reads.
ML_VOL_MAX_HORIZON = env.int("ML_VOL_MAX_HORIZON", default=252)
ML_SENTIMENT_MAX_TEXT_CHARS = env.int("ML_SENTIMENT_MAX_TEXT_CHARS", default=10_000)

# --- Value ranges the API accepts (apps/platform/fields.py, pagination.py, parsers.py) ------------
# Every timestamp or date taken in (query, body, upload) must lie in [MIN, MAX] UTC; keep both inside
# pandas' nanosecond range (1677-09-22 .. 2262-04-11), where every engine computes.
API_TIMESTAMP_MIN = dt.datetime.fromisoformat(env("API_TIMESTAMP_MIN", default="1900-01-01T00:00:00+00:00"))
API_TIMESTAMP_MAX = dt.datetime.fromisoformat(env("API_TIMESTAMP_MAX", default="2200-01-01T00:00:00+00:00"))
# Paginated lists: a larger `limit` is lowered to the maximum; an `offset` beyond its bound is a 400.
API_PAGE_MAX_LIMIT = env.int("API_PAGE_MAX_LIMIT", default=1000)
API_PAGE_MAX_OFFSET = env.int("API_PAGE_MAX_OFFSET", default=1_000_000_000)
# JSON bodies (and ws/stream messages) nested deeper than this are refused before they are parsed.
API_JSON_MAX_DEPTH = env.int("API_JSON_MAX_DEPTH", default=64)

# --- DRF / OpenAPI --------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.platform.authentication.CachedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "apps.platform.pagination.BoundedLimitOffsetPagination",
    # JSON first (DRF's order), nesting depth bounded; forms and multipart as DRF has them.
    "DEFAULT_PARSER_CLASSES": [
        "apps.platform.parsers.DepthLimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "PAGE_SIZE": env.int("API_PAGE_SIZE", default=100),
    # drf-spectacular's AutoSchema plus the error answers (400/401/403/404/413/429) of every operation.
    "DEFAULT_SCHEMA_CLASS": "apps.platform.schema.NautilusAutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "apps.platform.throttling.AnonThrottle",
        "apps.platform.throttling.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", default="60/min"),
        "user": env("API_THROTTLE_USER", default="6000/min"),
    },
    "EXCEPTION_HANDLER": "apps.platform.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Nautilus API",
    "DESCRIPTION": "Trading analytics: market data, features, factors, ML, analytics, risk, "
    "portfolio, strategies, streaming.",
    "VERSION": VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
    # Request bodies get their own components (`InstrumentRequest`) without the read-only fields, so
    # a client is not asked for an id or timestamps when it creates something.
    "COMPONENT_SPLIT_REQUEST": True,
    # Two choice sets share the field name `interval`: every stored interval, and the ones a live
    # feed can build bars at. Naming both keeps the schema stable (and `check --deploy` quiet).
    "ENUM_NAME_OVERRIDES": {
        "BarIntervalEnum": "apps.marketdata.models.INTERVALS",
        "LiveFeedIntervalEnum": "apps.marketdata.services.feeds.sessions.LIVE_INTERVALS",
        # `format`: the bar file formats keep their name beside the tear-sheet formats.
        "FormatEnum": "apps.marketdata.api.serializers.bars.BAR_FORMATS",
        "ReportFormatEnum": "apps.analytics.reports.files.REPORT_FORMAT_CHOICES",
        # `status`: breaches and alert deliveries each keep their own life-cycle names.
        "BreachStatusEnum": "apps.risk.models.BreachStatus.choices",
        "AlertDeliveryStatusEnum": "apps.risk.models.DeliveryStatus.choices",
        "EngineStatusEnum": "apps.platform.api.serializers.engines.ENGINE_STATUSES",
        # `kind`: an ML model's kind and a stress scenario's kind each keep a name of their own.
        "MLModelKindEnum": "apps.ml.models.ModelKind.choices",
        "ScenarioKindEnum": "apps.risk.models.scenarios.StressScenario.Kind",
    },
}

# --- Metrics --------------------------------------------------------------------------------------
# Worker processes write their figures into this directory (prometheus_client multiprocess mode)
# so /metrics in the web process sees tasks run in every prefork child.
PROMETHEUS_MULTIPROC_DIR = env("PROMETHEUS_MULTIPROC_DIR", default="")
PROMETHEUS_EXPORT_MIGRATIONS = False

# --- Flower ---------------------------------------------------------------------------------------
FLOWER_PORT = env.int("FLOWER_PORT", default=5555)
# No default login: `make up` generates one (workers/launcher.py), production requires it.
FLOWER_BASIC_AUTH = env("FLOWER_BASIC_AUTH", default="")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Analytics: streaming P&L publishes at most once per portfolio per this many milliseconds.
ANALYTICS_PUBLISH_MIN_INTERVAL_MS = env.int("ANALYTICS_PUBLISH_MIN_INTERVAL_MS", default=1000)
# Analytics: threads of the metric kernel's block pool in each process (unset: the cores this process
# may use, os.sched_getaffinity). Web and worker processes each get their own pool.
ANALYTICS_KERNEL_THREADS = env.int("ANALYTICS_KERNEL_THREADS", default=None)

# Risk: a breach resolves after staying below its warn level this long (a limit may override it);
# the monitor checks portfolios in batches of this size; webhooks retry with exponential backoff.
RISK_BREACH_RESOLVE_AFTER_SECONDS = env.int("RISK_BREACH_RESOLVE_AFTER_SECONDS", default=60)
RISK_MONITOR_BATCH_SIZE = env.int("RISK_MONITOR_BATCH_SIZE", default=500)
# Between full sweeps the Beat monitor checks only what changed (positions, prices, limits); a full
# sweep of every active portfolio runs at least this often (0: every run is a full sweep).
RISK_MONITOR_FULL_SWEEP_S = env.float("RISK_MONITOR_FULL_SWEEP_S", default=60.0)
# A risk worker child loads the held symbols' market data into its book cache as it starts.
RISK_BOOK_WARMUP = env.bool("RISK_BOOK_WARMUP", default=True)
# A burst of bar/execution events for the same portfolios becomes one follow-up check per window.
RISK_EVENT_COALESCE_MS = env.int("RISK_EVENT_COALESCE_MS", default=250)
RISK_WEBHOOK_MAX_RETRIES = env.int("RISK_WEBHOOK_MAX_RETRIES", default=5)
RISK_WEBHOOK_BACKOFF_SECONDS = env.float("RISK_WEBHOOK_BACKOFF_SECONDS", default=2.0)
RISK_WEBHOOK_TIMEOUT_SECONDS = env.float("RISK_WEBHOOK_TIMEOUT_SECONDS", default=5.0)
RISK_ALERT_EMAIL_FROM = env.str("RISK_ALERT_EMAIL_FROM", default="risk@nautilus.local")
# Risk alert emails go through Django's email backend: the console by default, SMTP in production
# (EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend with EMAIL_HOST/EMAIL_PORT).
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)

# API tokens are cached per web process and dropped by any token or user save (apps/platform/
# authentication.py); a change that bypasses model signals (queryset update, SQL) counts after this long.
AUTH_CACHE_MAX_AGE_S = env.float("AUTH_CACHE_MAX_AGE_S", default=60.0)

# POST /api/auth/token: attempts per client IP (DRF rate syntax), against password guessing.
AUTH_TOKEN_THROTTLE_RATE = env.str("AUTH_TOKEN_THROTTLE_RATE", default="10/min")

# GET /metrics access (apps/platform/metrics_access.py). None: no network rule (laptop); production
# defaults to METRICS_PRIVATE_NETWORKS. A bearer token, when set, also admits any client.
METRICS_PRIVATE_NETWORKS = [
    "127.0.0.0/8",
    "::1/128",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "fc00::/7",
]
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=None)
METRICS_BEARER_TOKEN = env.str("METRICS_BEARER_TOKEN", default="")
# How many reverse proxies of ours append to X-Forwarded-For; 0: only REMOTE_ADDR counts.
METRICS_NUM_PROXIES = env.int("METRICS_NUM_PROXIES", default=0)

# WebSocket feeds (apps/streaming): their own module, read from the same environment.
from .streaming import *  # noqa: E402, F403
