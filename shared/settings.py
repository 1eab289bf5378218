"""Settings common to every process, read from the environment (and `.env`) by pydantic-settings."""

from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Development-only defaults: usable on a laptop, refused when APP_ENV=production.
DEV_JWT_SECRET = "dev-only-jwt-secret-change-me-0000000000"  # noqa: S105
DEV_VOTER_HASH_SECRET = "dev-only-voter-hash-secret-change-me"  # noqa: S105
DEV_DB_PASSWORD = "dev-only-db-password"  # noqa: S105
DEV_SERVICE_TOKEN_SECRET = "dev-only-service-token-secret-change-me"  # noqa: S105
DEV_SECRETS = {DEV_JWT_SECRET, DEV_VOTER_HASH_SECRET, DEV_DB_PASSWORD, DEV_SERVICE_TOKEN_SECRET}

DEV_ADMIN_DATABASE_URL = "postgresql://postgres@127.0.0.1:54329/seoul"

AppEnv = Literal["dev", "test", "production"]


class CommonSettings(BaseSettings):
    """What every process needs: environment, logging and token verification."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True, populate_by_name=True)

    app_env: AppEnv = "dev"
    log_level: str = "INFO"
    jwt_secret: SecretStr = SecretStr(DEV_JWT_SECRET)
    jwt_jwks_url: str | None = None
    jwt_issuer: str = "seoul-governance"
    jwt_audience: str = "seoul-governance-api"
    jwt_leeway_seconds: int = 30
    # OTLP/HTTP collector for traces (shared/telemetry.py), e.g. http://otel-collector:4318; empty: no export.
    otel_exporter_otlp_endpoint: str = ""

    @model_validator(mode="after")
    def _refuse_dev_secrets_in_production(self) -> "CommonSettings":
        if self.app_env != "production":
            return self
        for name, value in self.model_dump().items():
            secret = value.get_secret_value() if isinstance(value, SecretStr) else value
            if isinstance(secret, str) and secret in DEV_SECRETS:
                if name == "jwt_secret" and self.jwt_jwks_url:
                    continue
                raise ValueError(f"{name} uses a development default; set it for production")
        return self


class ServiceSettings(CommonSettings):
    """Settings of a service that owns a PostgreSQL schema. Subclasses name the env variables."""

    service_name: str = "service"
    database_url: str = ""
    db_password: SecretStr = SecretStr(DEV_DB_PASSWORD)
    # A fixed pool, no overflow: SQLAlchemy closes an overflow connection as soon as it comes back to a full
    # pool, so under load bursts every few requests opened a new connection (10 + 10 overflow: up to ~600 new
    # connections in 10 s of district reads, +15–25 % CPU per request, p99 2–3×). Same maximum, no churn.
    db_pool_size: int = 20
    db_max_overflow: int = 0
    db_statement_timeout_ms: int = 15_000
    host: str = "127.0.0.1"
    port: int = 8080
    # Request body limits (shared/request_limits.py): every route, and routes marked as uploads.
    max_body_bytes: int = Field(default=1 << 20, ge=1, validation_alias="MAX_BODY_BYTES")
    max_upload_body_bytes: int = Field(default=64 << 20, ge=1, validation_alias="MAX_UPLOAD_BODY_BYTES")
    # Service-to-service tokens (shared/service_auth.py): signed with their own secret, never the users' one.
    service_token_secret: SecretStr = Field(
        default=SecretStr(DEV_SERVICE_TOKEN_SECRET), validation_alias="SERVICE_TOKEN_SECRET"
    )
    service_token_ttl_seconds: int = Field(
        default=300, ge=10, le=300, validation_alias="SERVICE_TOKEN_TTL_SECONDS"
    )

    def body_limits(self) -> dict[str, int]:
        """The body limit of each class of route, in bytes."""
        return {"json": self.max_body_bytes, "upload": self.max_upload_body_bytes}


def async_url(url: str) -> str:
    """Return the SQLAlchemy asyncpg form of a PostgreSQL URL."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError(f"not a PostgreSQL URL: {url.split('@')[-1]}")


def plain_url(url: str) -> str:
    """Return the libpq/asyncpg form of a PostgreSQL URL (no SQLAlchemy driver suffix)."""
    return "postgresql://" + async_url(url)[len("postgresql+asyncpg://") :]


SERVICES = ("councils", "budget", "evaluation")


def service_role(service: str) -> str:
    """The PostgreSQL role a service connects as; it owns the service's schema and nothing else."""
    return f"{service}_svc"


def service_database_url(admin_url: str, service: str, password: str) -> str:
    """The service's URL: the admin URL's server and database, the service's own role."""
    from sqlalchemy.engine import make_url

    url = make_url(async_url(admin_url)).set(username=service_role(service), password=password)
    return url.render_as_string(hide_password=False)


def dev_service_url(service: str) -> str:
    return service_database_url(DEV_ADMIN_DATABASE_URL, service, DEV_DB_PASSWORD)
