"""Service tokens: how one service proves to another who is calling, on internal endpoints only.

A service token names its caller (`sub` = `service:evaluation`), the role `service` and the callee as its
audience (`aud` = `service:budget`); it lives at most five minutes and is signed with `SERVICE_TOKEN_SECRET`,
never with the users' secret. So a user token cannot open an internal endpoint (its signature fails), and a
service token opens nothing public: the gateway and every public route verify with the users' secret and
audience, and `role: service` is no user role. Internal endpoints live under `/internal/`, are left out of
the OpenAPI document (so the gateway's allow-list never names them: 404 through the gateway) and declare
which callers they admit with `require_service`.
"""

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.problems import Forbidden, Unauthorized
from shared.settings import ServiceSettings

SERVICE_ROLE = "service"
MAX_TTL_SECONDS = 300
INTERNAL_PREFIX = "/internal"
_REFRESH_MARGIN = 60  # seconds before expiry at which a cached token is replaced


def service_principal(service: str) -> str:
    """The subject a service calls as, and the audience it is called as: `service:<name>`."""
    return f"service:{service}"


@dataclass(frozen=True)
class ServiceIdentity:
    """The service on the other end of an internal call."""

    subject: str

    @property
    def service(self) -> str:
        return self.subject.removeprefix("service:")


def mint_service_token(settings: ServiceSettings, *, caller: str, callee: str, now: int | None = None) -> str:
    issued = int(time.time()) if now is None else now
    ttl = min(settings.service_token_ttl_seconds, MAX_TTL_SECONDS)
    claims = {
        "sub": service_principal(caller),
        "role": SERVICE_ROLE,
        "iss": settings.jwt_issuer,
        "aud": service_principal(callee),
        "iat": issued,
        "exp": issued + ttl,
    }
    return jwt.encode(claims, settings.service_token_secret.get_secret_value(), algorithm="HS256")


class ServiceTokens:
    """A caller's tokens, one per callee, minted when needed and reused until a minute before expiry."""

    def __init__(
        self, settings: ServiceSettings, caller: str, clock: Callable[[], float] = time.time
    ) -> None:
        self.settings = settings
        self.caller = caller
        self._clock = clock
        self._cache: dict[str, tuple[float, str]] = {}

    def token(self, callee: str) -> str:
        now = self._clock()
        cached = self._cache.get(callee)
        if cached is not None and cached[0] - _REFRESH_MARGIN > now:
            return cached[1]
        token = mint_service_token(self.settings, caller=self.caller, callee=callee, now=int(now))
        ttl = min(self.settings.service_token_ttl_seconds, MAX_TTL_SECONDS)
        self._cache[callee] = (int(now) + ttl, token)
        return token


class ServiceTokenVerifier:
    """Verifies service tokens addressed to `service` (its own name)."""

    def __init__(self, settings: ServiceSettings, service: str) -> None:
        self.secret = settings.service_token_secret.get_secret_value()
        self.issuer = settings.jwt_issuer
        self.leeway = settings.jwt_leeway_seconds
        self.audience = service_principal(service)

    def verify(self, token: str) -> ServiceIdentity:
        try:
            # The audience is checked below, after the signature: a valid token for another callee is a 403.
            claims: dict[str, Any] = jwt.decode(
                token,
                self.secret,
                algorithms=["HS256"],
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iat", "sub", "iss", "aud"], "verify_aud": False},
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized(
                f"invalid service token: {exc}", detail_ko="서비스 토큰이 유효하지 않습니다."
            ) from exc
        subject, lifetime = claims.get("sub"), _lifetime(claims)
        if (
            claims.get("role") != SERVICE_ROLE
            or not isinstance(subject, str)
            or not subject.startswith("service:")
        ):
            raise Unauthorized("not a service token", detail_ko="서비스 토큰이 아닙니다.")
        if lifetime is None or lifetime > MAX_TTL_SECONDS:
            raise Unauthorized(
                f"a service token lives at most {MAX_TTL_SECONDS} s",
                detail_ko=f"서비스 토큰의 유효 기간은 최대 {MAX_TTL_SECONDS}초입니다.",
            )
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if audiences != [self.audience]:
            raise Forbidden(
                f"this service token is for {audience}, not {self.audience}",
                detail_ko=f"이 서비스 토큰은 {self.audience}용이 아닙니다.",
            )
        return ServiceIdentity(subject=subject)


def _lifetime(claims: dict[str, Any]) -> int | None:
    issued, expires = claims.get("iat"), claims.get("exp")
    if not isinstance(issued, int | float) or not isinstance(expires, int | float):
        return None
    return int(expires - issued)


_bearer = HTTPBearer(auto_error=False, description="A service token (internal endpoints only).")


def require_service(*callers: str) -> Callable[..., Awaitable[ServiceIdentity]]:
    """A dependency admitting only service tokens addressed to this service from one of `callers`."""
    allowed = {service_principal(caller) for caller in callers}

    async def dependency(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
    ) -> ServiceIdentity:
        if credentials is None:
            raise Unauthorized("this endpoint needs a service token", detail_ko="서비스 토큰이 필요합니다.")
        verifier: ServiceTokenVerifier = request.app.state.service_verifier
        identity = verifier.verify(credentials.credentials)
        if identity.subject not in allowed:
            names = ", ".join(sorted(allowed))
            raise Forbidden(
                f"{identity.subject} may not call this endpoint; allowed: {names}",
                detail_ko=f"{identity.subject}은(는) 이 엔드포인트를 호출할 수 없습니다.",
            )
        return identity

    return dependency
