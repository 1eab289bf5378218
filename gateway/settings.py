from typing import Literal

import httpx
from pydantic import Field, field_validator, model_validator

from shared.settings import CommonSettings

# The local dev servers' origins (Next.js/CRA on 3000, Vite on 5173): allowed by default outside production.
DEV_CORS_ORIGINS = (
    "http://localhost:3000",
    "http://localhost:5173",
    "http://127.0.0.1:3000",
    "http://127.0.0.1:5173",
)


class GatewaySettings(CommonSettings):
    port: int = Field(default=8000, validation_alias="GATEWAY_PORT")
    # Each: one URL, or several separated by commas (replicas side by side: gateway/replicas.py).
    councils_url: str = Field(default="http://127.0.0.1:8001", validation_alias="GATEWAY_COUNCILS_URL")
    budget_url: str = Field(default="http://127.0.0.1:8002", validation_alias="GATEWAY_BUDGET_URL")
    evaluation_url: str = Field(default="http://127.0.0.1:8003", validation_alias="GATEWAY_EVALUATION_URL")
    # Chosen by bench/bench_gateway.py: aiohttp forwards ~5x the requests of httpx's own transport
    # (bench/RESULTS_gateway.md, bench/README.md).
    transport: Literal["aiohttp", "httpx"] = Field(default="aiohttp", validation_alias="GATEWAY_TRANSPORT")
    connect_timeout: float = Field(default=2.0, validation_alias="GATEWAY_CONNECT_TIMEOUT")
    read_timeout: float = Field(default=30.0, validation_alias="GATEWAY_READ_TIMEOUT")
    pool_timeout: float = Field(default=5.0, validation_alias="GATEWAY_POOL_TIMEOUT")
    max_connections: int = Field(default=200, validation_alias="GATEWAY_MAX_CONNECTIONS")
    max_buffered_body: int = Field(
        default=1 << 20, description="Bodies larger than this are streamed upstream."
    )
    upstream_keepalive_seconds: float = Field(
        default=2.0,
        gt=0,
        validation_alias="GATEWAY_UPSTREAM_KEEPALIVE_SECONDS",
        description="How long an idle upstream connection is kept for reuse: less than the services' own "
        "keep-alive (uvicorn's 5 s), so the gateway never reuses one the service is closing.",
    )
    max_body_bytes: int = Field(
        default=1 << 20,
        ge=0,
        validation_alias="GATEWAY_MAX_BODY_BYTES",
        description="The largest request body relayed, unless `body_limits` names the route.",
    )
    body_limits: dict[str, int] = Field(
        default={"POST /budget/elections/import": 64 << 20},
        validation_alias="GATEWAY_BODY_LIMITS",
        description='Per-route body limits, e.g. {"POST /budget/elections/import": 67108864}.',
    )
    route_table_seconds: float = Field(
        default=30.0,
        gt=0,
        validation_alias="GATEWAY_ROUTE_TABLE_SECONDS",
        description="How long a service's public paths, read from its OpenAPI document, are kept.",
    )
    breaker_failures: int = Field(
        default=5,
        ge=1,
        validation_alias="GATEWAY_BREAKER_FAILURES",
        description="Consecutive transport failures after which an upstream's circuit opens.",
    )
    breaker_reset_seconds: float = Field(
        default=10.0,
        gt=0,
        validation_alias="GATEWAY_BREAKER_RESET_SECONDS",
        description="How long an open circuit fails fast before one trial request goes through.",
    )
    composition_deadline: float = Field(default=3.0, validation_alias="GATEWAY_COMPOSITION_DEADLINE")
    overview_cache_seconds: float = Field(
        default=2.0,
        ge=0,
        validation_alias="GATEWAY_OVERVIEW_CACHE_SECONDS",
        description="How long a complete anonymous district overview is reused (0: never); any write relayed "
        "by the gateway empties the cache at once.",
    )
    openapi_cache_seconds: float = Field(default=30.0, validation_alias="GATEWAY_OPENAPI_CACHE_SECONDS")

    cors_origins: list[str] | None = Field(
        default=None,
        validation_alias="GATEWAY_CORS_ORIGINS",
        description='Origins a browser may call the API from, e.g. ["https://budget.seoul.go.kr"]. '
        "Unset: none in production, the local dev servers' origins otherwise.",
    )
    cors_allow_credentials: bool = Field(
        default=False,
        validation_alias="GATEWAY_CORS_ALLOW_CREDENTIALS",
        description="Whether browsers may send cookies or HTTP auth cross-origin (a bearer token needs not).",
    )

    @field_validator("councils_url", "budget_url", "evaluation_url")
    @classmethod
    def _replica_urls(cls, value: str) -> str:
        urls = split_urls(value)
        if not urls:
            raise ValueError("an upstream needs at least one URL")
        paths = set()
        for url in urls:
            parsed = httpx.URL(url)
            if parsed.scheme not in ("http", "https") or not parsed.host:
                raise ValueError(f"{url!r} is not an http(s) URL")
            paths.add(parsed.raw_path.rstrip(b"/"))
        if len(paths) > 1:
            raise ValueError("the replicas of one service must share the URL path")
        return value

    @model_validator(mode="after")
    def _no_credentials_for_any_origin(self) -> "GatewaySettings":
        if self.cors_allow_credentials and "*" in self.allowed_origins():
            raise ValueError("GATEWAY_CORS_ALLOW_CREDENTIALS needs named origins, not '*'")
        return self

    def allowed_origins(self) -> list[str]:
        if self.cors_origins is not None:
            return self.cors_origins
        return [] if self.app_env == "production" else list(DEV_CORS_ORIGINS)

    def upstream_urls(self) -> dict[str, list[str]]:
        """Each service's replicas' URLs (one, unless a setting lists several)."""
        return {
            "councils": split_urls(self.councils_url),
            "budget": split_urls(self.budget_url),
            "evaluation": split_urls(self.evaluation_url),
        }


def split_urls(value: str) -> list[str]:
    return [url.strip() for url in value.split(",") if url.strip()]
