"""Identity: bearer JWTs verified the same way by the gateway and by every service."""

import time
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from shared.jwt_decoder import hs256_decoder
from shared.problems import Forbidden, Unauthorized
from shared.settings import CommonSettings


class Role(StrEnum):
    citizen = "citizen"
    district_officer = "district_officer"
    city_officer = "city_officer"
    secretariat = "secretariat"
    evaluator = "evaluator"
    auditor = "auditor"
    admin = "admin"
    # An evaluated agency (평가 대상 기관): its token names its councils organisation (organization_id).
    agency = "agency"


class Identity(BaseModel):
    """Who is calling: the token's subject, role and, for district officers, their district; for agencies,
    their organisation."""

    subject: str
    role: Role
    district_code: str | None = None
    organization_id: int | None = Field(default=None, ge=1, le=2**31 - 1, strict=True)
    name: str | None = None

    def can_write_district(self, district_code: str) -> bool:
        if self.role in (Role.admin, Role.city_officer):
            return True
        return self.role == Role.district_officer and self.district_code == district_code


class TokenVerifier:
    """Verifies HS256 tokens with a shared secret, or asymmetric ones against a JWKS."""

    def __init__(self, settings: CommonSettings) -> None:
        self.issuer = settings.jwt_issuer
        self.audience = settings.jwt_audience
        self.leeway = settings.jwt_leeway_seconds
        self.secret = settings.jwt_secret.get_secret_value()
        self.jwks = jwt.PyJWKClient(settings.jwt_jwks_url, cache_keys=True) if settings.jwt_jwks_url else None
        self.decoder = hs256_decoder()  # `jwt.decode`'s checks, with the secret prepared once

    async def verify(self, token: str) -> Identity:
        try:
            if self.jwks is not None:
                signing_key = await run_in_threadpool(self.jwks.get_signing_key_from_jwt, token)
                claims = self._decode(token, signing_key.key, ["RS256", "ES256", "EdDSA"])
            else:
                claims = self._decode(token, self.secret, ["HS256"])
        except jwt.PyJWTError as exc:
            raise Unauthorized(
                f"invalid bearer token: {exc}", detail_ko=f"유효하지 않은 bearer 토큰입니다: {exc}"
            ) from exc
        return identity_from_claims(claims)

    def _decode(self, token: str, key: Any, algorithms: list[str]) -> dict[str, Any]:
        return self.decoder.decode(
            token,
            key,
            algorithms=algorithms,
            audience=self.audience,
            issuer=self.issuer,
            leeway=self.leeway,
            options={"require": ["exp", "sub", "iss", "aud"]},
        )


def identity_from_claims(claims: dict[str, Any]) -> Identity:
    try:
        identity = Identity(
            subject=claims["sub"],
            role=claims.get("role"),
            district_code=claims.get("district_code"),
            organization_id=claims.get("organization_id"),
            name=claims.get("name"),
        )
    except (ValidationError, KeyError) as exc:
        raise Unauthorized(
            "the token's role, subject or organization_id is missing or invalid",
            detail_ko="토큰의 role, sub 또는 organization_id가 없거나 올바르지 않습니다.",
        ) from exc
    if not identity.subject.strip():
        # Voter hashes, audit columns and ownership all key on the subject: a blank one is nobody.
        raise Unauthorized(
            "the token's subject (sub) is empty", detail_ko="토큰의 주체(sub)가 비어 있습니다."
        )
    if identity.role == Role.district_officer and not identity.district_code:
        raise Unauthorized(
            "a district officer's token must carry a district_code",
            detail_ko="자치구 공무원의 토큰에는 district_code가 있어야 합니다.",
        )
    if identity.role == Role.agency and identity.organization_id is None:
        raise Unauthorized(
            "an agency's token must carry its organization_id",
            detail_ko="기관의 토큰에는 해당 organization_id가 있어야 합니다.",
        )
    return identity


def mint_token(
    settings: CommonSettings,
    *,
    subject: str,
    role: Role | str,
    district_code: str | None = None,
    name: str | None = None,
    organization_id: int | None = None,
    ttl_seconds: int = 3600,
) -> str:
    """Sign an HS256 token with the configured secret (development, tests and service accounts)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": subject,
        "role": str(role),
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    if district_code:
        claims["district_code"] = district_code
    if organization_id is not None:
        claims["organization_id"] = organization_id
    if name:
        claims["name"] = name
    return jwt.encode(claims, settings.jwt_secret.get_secret_value(), algorithm="HS256")


_bearer = HTTPBearer(auto_error=False, description="A JWT issued for the Seoul governance API.")


async def current_identity(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Identity | None:
    """The caller's identity, or None for an anonymous caller; a bad token is a 401, never anonymous."""
    if credentials is None:
        if request.headers.get("authorization"):
            raise Unauthorized(
                "the Authorization header must be 'Bearer <token>'",
                detail_ko="Authorization 헤더는 'Bearer <token>' 형식이어야 합니다.",
            )
        return None
    verifier: TokenVerifier = request.app.state.verifier
    return await verifier.verify(credentials.credentials)


OptionalIdentity = Annotated[Identity | None, Depends(current_identity)]


def require_roles(*roles: Role) -> Callable[..., Awaitable[Identity]]:
    """A dependency that admits only the given roles (admin always)."""
    allowed = {*roles, Role.admin}

    async def dependency(identity: OptionalIdentity) -> Identity:
        if identity is None:
            raise Unauthorized(
                "this operation needs a bearer token", detail_ko="이 작업에는 bearer 토큰이 필요합니다."
            )
        if identity.role not in allowed:
            names = ", ".join(sorted(role.value for role in allowed))
            raise Forbidden(
                f"role {identity.role.value} may not do this; allowed: {names}",
                detail_ko=f"{identity.role.value} 역할은 이 작업을 할 수 없습니다. 허용 역할: {names}",
            )
        return identity

    return dependency


def ensure_district_access(identity: Identity, district_code: str) -> None:
    """District officers write only their own district's records."""
    if not identity.can_write_district(district_code):
        raise Forbidden(
            f"{identity.role.value} of district {identity.district_code} may not write {district_code}",
            detail_ko=(
                f"자치구 {identity.district_code}의 {identity.role.value}은(는) {district_code}에 쓸"
                " 수 없습니다."
            ),
        )
