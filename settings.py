"""Settings: read once from the environment into one immutable object, passed everywhere."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from secret_policy import development_secret, weak_secret_reason

ENVIRONMENTS = ("development", "test", "production")
PAYMENT_PROVIDERS = ("test", "wechatpay", "alipay")


class SettingsError(ValueError):
    """A missing or malformed setting; the message names it."""


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    database_url: str = ""
    redis_url: str | None = None
    secret_key: str = ""  # from_env: SECRET_KEY, or the data directory's generated one
    data_dir: Path = Path("data")
    metrics_token: str | None = None
    token_ttl_seconds: int = 14 * 24 * 3600
    media_backend: str = "local"
    media_root: Path = Path("data/media")
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_public_endpoint_url: str | None = None  # what clients reach, when it differs (compose)
    s3_region: str = "us-east-1"
    public_base_url: str = "http://127.0.0.1:8000"
    public_media: bool = False
    max_upload_bytes: int = 10 * 1024 * 1024
    # Query limits: about twice what README's and bench/session.lua's operations (and GraphiQL's
    # introspection) need, measured by `python -m bench.query_limits`; README, "Security".
    max_query_depth: int = 10
    max_aliases: int = 15
    max_tokens: int = 500
    max_query_cost: int = 5000
    max_request_bytes: int = 64 * 1024
    max_document_bytes: int = 8 * 1024
    max_selections: int = 1000
    max_repeated_fields: int = 10
    introspection: bool = True
    rate_limit_writes_per_minute: int = 60
    rate_limit_logins_per_minute: int = 10
    rate_limit_registrations_per_hour: int = 20
    rate_limit_reviews_per_hour: int = 20
    database_replica_url: str | None = None
    log_format: str = "text"
    trust_forwarded_for: bool = False
    redis_namespace: str = "tm"
    # Claim gate and viewer cache (issue 18) are right only when every worker shares one Redis;
    # `serve --workers N` without REDIS_URL turns them off (each worker has its own fakeredis).
    shared_redis_caches: bool = True
    slow_query_ms: int = 200
    fast_leaves: bool = True  # plain leaf fields completed directly (schema/fast_leaves.py)
    direct_lane: bool = True  # known documents' POSTs run without strawberry's machinery (schema/direct.py)
    rate_limit_uploads_per_hour: int = 60
    rate_limit_messages_per_minute: int = 30
    argon2_time_cost: int = 2
    argon2_memory_kib: int = 19456
    login_failures_per_address_and_account: int = 5  # per 15 minutes, then refused
    login_failures_per_account: int = 20  # per hour from all addresses, then slowed
    login_slowdown_ms: int = 2000
    session_recheck_seconds: int = 30
    job_interval_seconds: int = 30  # scheduled jobs in each app process; 0: only `app.py worker`
    settle_interval_seconds: int = 30  # the settle-suspensions job (at least this); 0: off here
    # Photo uploads (README "Upload limits"): phone-photo canvas, decode pool, URL lifetime.
    max_image_megapixels: int = 50
    max_image_edge: int = 8192
    image_min_bytes_per_megapixel: int = 1000
    image_decode_workers: int = 2
    image_decode_budget_mb: int = 320
    image_decode_wait_seconds: int = 20
    upload_url_ttl_seconds: int = 900
    upload_cleanup_interval_seconds: int = 600
    # Payments (README "Payment providers"): test, wechatpay or alipay; their WECHATPAY_*/ALIPAY_*.
    payment_provider: str = "test"
    allow_test_payments: bool = False
    payment_env: Mapping[str, str] = field(default_factory=dict)
    # Notifications and push (README "Notifications and push"): the outbox job, its back-off,
    # the deal-expiry notice, APNs token auth (all four APNS_* names set it up).
    push_interval_seconds: int = 5
    push_retry_base_seconds: int = 30
    push_max_attempts: int = 8
    deal_expiry_notice_hours: int = 72  # vouchers are reminded 3 days before they lapse
    apns_key_file: str | None = None
    apns_key_id: str | None = None
    apns_team_id: str | None = None
    apns_topic: str | None = None
    apns_url: str = "https://api.push.apple.com"
    apns_ca_file: str | None = None
    # The version of the location notice a diner consents to (PIPL): a new notice, a new consent.
    location_notice_version: str = "2026-01"
    persisted_queries: str = "apq"  # off | apq | allowlist (core/persisted_queries.py)
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://"))

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def read_connection(self) -> str:
        """Tortoise connection for lag-tolerant reads: the replica when one is configured."""
        return "replica" if self.database_replica_url else "default"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from environment variables, failing loudly on bad values."""
        env = dict(os.environ if environ is None else environ)
        app_env = env.get("ENV", "development")
        if app_env not in ENVIRONMENTS:
            raise SettingsError(f"ENV must be one of {', '.join(ENVIRONMENTS)}, got {app_env!r}")
        data_dir = Path(env.get("DATA_DIR") or "data").resolve()
        database_url = env.get("DATABASE_URL") or f"sqlite://{data_dir / 'tablemates.sqlite3'}"
        _check_database_url(database_url)
        secret = env.get("SECRET_KEY") or ""
        metrics_token = env.get("METRICS_TOKEN") or None
        if app_env == "production":
            _check_secret("SECRET_KEY", secret)
            if metrics_token:
                _check_secret("METRICS_TOKEN", metrics_token)
        media_backend = env.get("MEDIA_BACKEND", "local")
        if media_backend not in ("local", "s3"):
            raise SettingsError(f"MEDIA_BACKEND must be 'local' or 's3', got {media_backend!r}")
        if media_backend == "s3" and not env.get("S3_BUCKET"):
            raise SettingsError("S3_BUCKET is required when MEDIA_BACKEND=s3")
        replica_url = env.get("DATABASE_REPLICA_URL") or None
        if replica_url:
            _check_database_url(replica_url)
            if urlparse(replica_url).scheme[:3] != urlparse(database_url).scheme[:3]:
                raise SettingsError("DATABASE_REPLICA_URL must use the same database kind as DATABASE_URL")
        log_format = env.get("LOG_FORMAT", "json" if app_env == "production" else "text")
        if log_format not in ("json", "text"):
            raise SettingsError(f"LOG_FORMAT must be 'json' or 'text', got {log_format!r}")
        redis_url = env.get("REDIS_URL") or None
        if redis_url and urlparse(redis_url).scheme not in ("redis", "rediss", "unix"):
            raise SettingsError(
                f"REDIS_URL must start with redis://, rediss:// or unix://, got {redis_url!r}"
            )
        payment_provider = env.get("PAYMENT_PROVIDER", "test")
        if payment_provider not in PAYMENT_PROVIDERS:
            raise SettingsError(f"PAYMENT_PROVIDER must be one of {', '.join(PAYMENT_PROVIDERS)}")
        persisted_queries = env.get("PERSISTED_QUERIES", "apq") or "apq"
        if persisted_queries not in ("off", "apq", "allowlist"):
            raise SettingsError(f"PERSISTED_QUERIES must be off, apq or allowlist, got {persisted_queries!r}")
        if not secret:
            try:
                secret = development_secret(data_dir)
            except (OSError, ValueError) as error:
                raise SettingsError(f"SECRET_KEY is not set and no development secret: {error}") from None
        return cls(
            env=app_env,
            data_dir=data_dir,
            metrics_token=metrics_token,
            database_url=database_url,
            redis_url=redis_url,
            database_replica_url=replica_url,
            log_format=log_format,
            trust_forwarded_for=_bool(env, "TRUST_FORWARDED_FOR", False),
            redis_namespace=env.get("REDIS_NAMESPACE", "tm") or "tm",
            shared_redis_caches=_bool(env, "SHARED_REDIS_CACHES", True),
            slow_query_ms=_int(env, "SLOW_QUERY_MS", cls.slow_query_ms),
            fast_leaves=_bool(env, "FAST_LEAVES", True),
            direct_lane=_bool(env, "DIRECT_LANE", True),
            secret_key=secret,
            token_ttl_seconds=_int(env, "TOKEN_TTL_SECONDS", cls.token_ttl_seconds),
            media_backend=media_backend,
            media_root=Path(env.get("MEDIA_ROOT") or data_dir / "media").resolve(),
            s3_bucket=env.get("S3_BUCKET") or None,
            s3_endpoint_url=env.get("S3_ENDPOINT_URL") or None,
            s3_public_endpoint_url=env.get("S3_PUBLIC_ENDPOINT_URL") or None,
            s3_region=env.get("S3_REGION", "us-east-1"),
            public_base_url=env.get("PUBLIC_BASE_URL", "").rstrip("/") or cls.public_base_url,
            public_media=_bool(env, "PUBLIC_MEDIA", False),
            max_upload_bytes=_int(env, "MAX_UPLOAD_BYTES", cls.max_upload_bytes),
            max_query_depth=_int(env, "MAX_QUERY_DEPTH", cls.max_query_depth),
            max_aliases=_int(env, "MAX_ALIASES", cls.max_aliases),
            max_tokens=_int(env, "MAX_TOKENS", cls.max_tokens),
            max_query_cost=_int(env, "MAX_QUERY_COST", cls.max_query_cost),
            max_request_bytes=_int(env, "MAX_REQUEST_BYTES", cls.max_request_bytes),
            max_document_bytes=_int(env, "MAX_DOCUMENT_BYTES", cls.max_document_bytes),
            max_selections=_int(env, "MAX_SELECTIONS", cls.max_selections),
            max_repeated_fields=_int(env, "MAX_REPEATED_FIELDS", cls.max_repeated_fields),
            introspection=_bool(env, "INTROSPECTION", app_env != "production"),
            rate_limit_writes_per_minute=_int(env, "RATE_LIMIT_WRITES_PER_MINUTE", 60),
            rate_limit_logins_per_minute=_int(env, "RATE_LIMIT_LOGINS_PER_MINUTE", 10),
            rate_limit_registrations_per_hour=_int(env, "RATE_LIMIT_REGISTRATIONS_PER_HOUR", 20),
            rate_limit_reviews_per_hour=_int(env, "RATE_LIMIT_REVIEWS_PER_HOUR", 20),
            rate_limit_uploads_per_hour=_int(env, "RATE_LIMIT_UPLOADS_PER_HOUR", 60),
            rate_limit_messages_per_minute=_int(env, "RATE_LIMIT_MESSAGES_PER_MINUTE", 30),
            argon2_time_cost=_int(env, "ARGON2_TIME_COST", cls.argon2_time_cost),
            argon2_memory_kib=_int(env, "ARGON2_MEMORY_KIB", cls.argon2_memory_kib),
            login_failures_per_address_and_account=_int(
                env, "LOGIN_FAILURES_PER_ADDRESS_AND_ACCOUNT", cls.login_failures_per_address_and_account
            ),
            login_failures_per_account=_int(
                env, "LOGIN_FAILURES_PER_ACCOUNT", cls.login_failures_per_account
            ),
            login_slowdown_ms=_int(env, "LOGIN_SLOWDOWN_MS", cls.login_slowdown_ms),
            session_recheck_seconds=_int(env, "SESSION_RECHECK_SECONDS", cls.session_recheck_seconds),
            job_interval_seconds=_int(env, "JOB_INTERVAL_SECONDS", cls.job_interval_seconds),
            settle_interval_seconds=_int(env, "SETTLE_INTERVAL_SECONDS", cls.settle_interval_seconds),
            **_upload_settings(env),
            **_push_settings(env),
            persisted_queries=persisted_queries,
            extra={k: v for k, v in env.items() if k.startswith("TABLEMATES_")},
            payment_provider=payment_provider,
            allow_test_payments=_bool(env, "ALLOW_TEST_PAYMENTS", False),
            payment_env={k: v for k, v in env.items() if k.startswith(("WECHATPAY_", "ALIPAY_"))},
        )


def _check_secret(name: str, value: str) -> None:
    """Production refuses missing, placeholder and guessable secrets (see secret_policy)."""
    reason = "is not set" if not value else weak_secret_reason(value)
    if reason:
        raise SettingsError(
            f"{name} {reason}: in production set it to a random value, e.g. `openssl rand -hex 32`"
        )


def _upload_settings(env: Mapping[str, str]) -> dict[str, int]:
    names = (
        "max_image_megapixels",
        "max_image_edge",
        "image_min_bytes_per_megapixel",
        "image_decode_workers",
        "image_decode_budget_mb",
        "image_decode_wait_seconds",
        "upload_url_ttl_seconds",
        "upload_cleanup_interval_seconds",
    )
    return {name: _int(env, name.upper(), getattr(Settings, name)) for name in names}


def _push_settings(env: Mapping[str, str]) -> dict[str, object]:
    numbers = (
        "push_interval_seconds",
        "push_retry_base_seconds",
        "push_max_attempts",
        "deal_expiry_notice_hours",
    )
    texts = ("apns_key_file", "apns_key_id", "apns_team_id", "apns_topic", "apns_ca_file")
    found: dict[str, object] = {name: _int(env, name.upper(), getattr(Settings, name)) for name in numbers}
    found.update({name: env.get(name.upper()) or None for name in texts})
    found["apns_url"] = env.get("APNS_URL") or Settings.apns_url
    found["location_notice_version"] = env.get("LOCATION_NOTICE_VERSION") or Settings.location_notice_version
    return found


def _check_database_url(url: str) -> None:
    scheme = urlparse(url).scheme
    if scheme not in ("sqlite", "postgres", "postgresql"):
        raise SettingsError(f"DATABASE_URL must be sqlite:///path or postgres://..., got {url!r}")


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
    if value < 0:
        raise SettingsError(f"{name} must not be negative, got {value}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")
