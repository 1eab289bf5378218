"""Token verification at its edges: expiry, audience, issuer, role, district claim, JWKS."""

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr, ValidationError

from shared.auth import Identity, Role, TokenVerifier, mint_token
from shared.problems import Unauthorized
from shared.settings import DEV_JWT_SECRET, CommonSettings
from tests.clock import Clock

SETTINGS = CommonSettings(jwt_secret=SecretStr("unit-test-secret-0123456789abcdef0123"))


def claims(**overrides: object) -> dict[str, object]:
    now = int(time.time())
    base: dict[str, object] = {
        "sub": "u1",
        "role": "city_officer",
        "iss": SETTINGS.jwt_issuer,
        "aud": SETTINGS.jwt_audience,
        "iat": now,
        "exp": now + 60,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def sign(payload: dict[str, object], secret: str = "unit-test-secret-0123456789abcdef0123") -> str:
    return jwt.encode(payload, secret, algorithm="HS256")


async def test_a_minted_token_verifies() -> None:
    token = mint_token(SETTINGS, subject="kim", role=Role.district_officer, district_code="11110", name="김")
    identity = await TokenVerifier(SETTINGS).verify(token)
    assert identity == Identity(subject="kim", role=Role.district_officer, district_code="11110", name="김")


@pytest.mark.parametrize(
    ("payload", "secret"),
    [
        (claims(exp=int(time.time()) - 31), None),  # expired beyond the 30 s leeway
        (claims(aud="someone-else"), None),
        (claims(iss="someone-else"), None),
        (claims(role="mayor"), None),
        (claims(role="district_officer"), None),  # a district officer without a district
        (claims(sub=None), None),
        (claims(), "another-secret-0123456789abcdef012345"),
    ],
    ids=[
        "expired",
        "audience",
        "issuer",
        "unknown-role",
        "officer-without-district",
        "no-subject",
        "bad-signature",
    ],
)
async def test_bad_tokens_are_refused(payload: dict[str, object], secret: str | None) -> None:
    token = sign(payload, secret) if secret else sign(payload)
    with pytest.raises(Unauthorized):
        await TokenVerifier(SETTINGS).verify(token)


@pytest.mark.parametrize(("expired_for", "accepted"), [(0, True), (29, True), (30, False), (31, False)])
async def test_expiry_leeway_edge(pinned: Clock, expired_for: int, accepted: bool) -> None:
    # The clock stands still: a token is good while now < exp + 30 s of leeway, not a moment longer.
    token = sign(claims(exp=int(time.time()) - expired_for))
    if not accepted:
        with pytest.raises(Unauthorized):
            await TokenVerifier(SETTINGS).verify(token)
        return
    assert (await TokenVerifier(SETTINGS).verify(token)).role == Role.city_officer


def test_production_refuses_development_secrets() -> None:
    with pytest.raises(ValidationError, match="jwt_secret"):
        CommonSettings(app_env="production", jwt_secret=SecretStr(DEV_JWT_SECRET))
    CommonSettings(app_env="production", jwt_secret=SecretStr("a-real-secret-from-the-vault-0123456789"))


def test_district_write_rules() -> None:
    officer = Identity(subject="a", role=Role.district_officer, district_code="11110")
    assert officer.can_write_district("11110")
    assert not officer.can_write_district("11140")
    assert Identity(subject="c", role=Role.city_officer).can_write_district("11140")
    assert not Identity(subject="z", role=Role.citizen).can_write_district("11110")


@pytest.fixture
def jwks_server() -> Iterator[tuple[str, rsa.RSAPrivateKey]]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json", key
    finally:
        server.shutdown()


async def test_jwks_verification(jwks_server: tuple[str, rsa.RSAPrivateKey]) -> None:
    url, key = jwks_server
    settings = CommonSettings(jwt_jwks_url=url)
    token = jwt.encode(claims(role="auditor"), key, algorithm="RS256", headers={"kid": "k1"})
    assert (await TokenVerifier(settings).verify(token)).role == Role.auditor
    forged = sign(claims())  # an HS256 token must not pass when a JWKS is configured
    with pytest.raises(Unauthorized):
        await TokenVerifier(settings).verify(forged)


@pytest.mark.parametrize("subject", ["", " ", "\t\r\n"], ids=repr)
@pytest.mark.parametrize("role", list(Role))
async def test_a_blank_subject_is_refused_in_every_role(role: Role, subject: str) -> None:
    district = "11110" if role == Role.district_officer else None
    with pytest.raises(Unauthorized, match="subject"):
        await TokenVerifier(SETTINGS).verify(
            sign(claims(sub=subject, role=role.value, district_code=district))
        )


async def test_a_subject_of_one_character_is_accepted() -> None:
    assert (await TokenVerifier(SETTINGS).verify(sign(claims(sub="k")))).subject == "k"
