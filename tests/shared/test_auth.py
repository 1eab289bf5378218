"""Token verification at its edges: expiry, audience, issuer, role, district claim, JWKS."""

import json
import random
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import HMACAlgorithm
from jwt.warnings import InsecureKeyLengthWarning
from pydantic import SecretStr, ValidationError

from shared.auth import Identity, Role, TokenVerifier, mint_token
from shared.jwt_decoder import PreparedHMAC, SegmentsJWS, hs256_decoder, prepared_hs256
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


def test_decodes_reach_the_prepared_hs256_secret() -> None:
    # Fails when a PyJWT upgrade stops decoding through the PyJWS that shared/jwt_decoder.py set up:
    # tokens would still verify, but with the secret re-checked on every decode again.
    verifier = TokenVerifier(SETTINGS)
    for _ in range(2):
        verifier._decode(sign(claims()), verifier.secret, ["HS256"])
    assert prepared_hs256(verifier.decoder).prepared == {verifier.secret: verifier.secret.encode()}


@pytest.mark.parametrize(
    "key",
    ["", "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----", '{"kty": "oct", "k": "c2VjcmV0"}'],
    ids=["empty", "pem", "jwk"],
)
def test_a_refused_secret_is_refused_on_every_decode(key: str) -> None:
    decoder = hs256_decoder()
    for _ in range(2):
        with pytest.raises(jwt.InvalidKeyError) as ours:
            decoder.decode(sign(claims()), key, algorithms=["HS256"])
        with pytest.raises(jwt.InvalidKeyError) as pyjwt:
            jwt.decode(sign(claims()), key, algorithms=["HS256"])
        assert str(ours.value) == str(pyjwt.value)
    assert prepared_hs256(decoder).prepared == {}


@pytest.mark.parametrize(
    "token",
    [
        sign(claims(exp=int(time.time()) - 31)),
        sign(claims(aud="someone-else")),
        sign(claims(iss="someone-else")),
        sign(claims(iat="soon")),
        sign(claims(exp=None)),
        sign(claims(), "another-secret-0123456789abcdef012345"),
        jwt.encode(claims(), None, algorithm="none"),
        "not.a.token",
        "onlyone",
    ],
    ids=["expired", "audience", "issuer", "iat", "no-exp", "signature", "alg-none", "garbage", "one-segment"],
)
async def test_refusals_say_what_pyjwt_says(token: str) -> None:
    options = {"require": ["exp", "sub", "iss", "aud"]}
    with pytest.raises(jwt.PyJWTError) as pyjwt:
        jwt.decode(
            token,
            SETTINGS.jwt_secret.get_secret_value(),
            algorithms=["HS256"],
            audience=SETTINGS.jwt_audience,
            issuer=SETTINGS.jwt_issuer,
            leeway=SETTINGS.jwt_leeway_seconds,
            options=options,  # type: ignore[arg-type]
        )
    with pytest.raises(Unauthorized) as ours:
        await TokenVerifier(SETTINGS).verify(token)
    assert ours.value.detail == f"invalid bearer token: {pyjwt.value}"


def test_decodes_reach_the_segment_decoder(monkeypatch: pytest.MonkeyPatch) -> None:
    # Fails when a PyJWT upgrade renames or stops calling PyJWS._decode_base64url_segment.
    decoded: list[str] = []
    own = SegmentsJWS._decode_base64url_segment

    def counted(segment: bytes, name: str) -> bytes:
        decoded.append(name)
        return own(segment, name)

    monkeypatch.setattr(SegmentsJWS, "_decode_base64url_segment", staticmethod(counted))
    verifier = TokenVerifier(SETTINGS)
    verifier._decode(sign(claims()), verifier.secret, ["HS256"])
    assert decoded == ["header", "payload", "crypto"]


@pytest.mark.parametrize(
    "segment",
    [
        b"",
        b"e30",
        b"eyJhIjoxfQ",
        b"eyJhIjoxfQ==",
        b"eyJhIjoxfQ=",
        b"e30=",
        b"a",
        b"abcde",
        b"ab!c",
        b"a+b/",
        b"e31",
        b"AB",
        b"AA",
        b"AAA",
        b"AAB",
        b"====",
        b"QQ===",
        b"\xff\xfe",
        b"Zm9v\n",
    ],
)
def test_the_segment_decoder_accepts_and_refuses_as_pyjwt(segment: bytes) -> None:
    try:
        expected: bytes | str = jwt.PyJWS._decode_base64url_segment(segment, "payload")
    except jwt.DecodeError as exc:
        expected = str(exc)
    try:
        ours: bytes | str = SegmentsJWS._decode_base64url_segment(segment, "payload")
    except jwt.DecodeError as exc:
        ours = str(exc)
    assert ours == expected


def test_the_segment_decoder_agrees_with_pyjwt_on_random_segments() -> None:
    generator = random.Random(12)
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/."
    for _ in range(5000):
        segment = bytes(generator.choice(alphabet) for _ in range(generator.randrange(0, 14)))
        outcomes = []
        for decode in (jwt.PyJWS._decode_base64url_segment, SegmentsJWS._decode_base64url_segment):
            try:
                outcomes.append(decode(segment, "header"))
            except jwt.DecodeError as exc:
                outcomes.append(str(exc))
        assert outcomes[0] == outcomes[1], segment


def test_the_prepared_hmac_signs_and_judges_key_lengths_as_pyjwt() -> None:
    ours, pyjwt = PreparedHMAC(HMACAlgorithm.SHA256), HMACAlgorithm(HMACAlgorithm.SHA256)
    for key in (b"k", b"x" * 31, b"x" * 32, b"y" * 64, "비밀".encode()):
        for message in (b"", b"a.b", bytes(range(256))):
            assert ours.sign(message, key) == pyjwt.sign(message, key)
        for _ in range(2):
            assert ours.check_key_length(key) == pyjwt.check_key_length(key)
    assert ours.check_key_length(b"short") is not None


def test_a_short_secret_still_warns_on_every_decode() -> None:
    decoder = hs256_decoder()
    with pytest.warns(InsecureKeyLengthWarning):
        token = jwt.encode(claims(), "short", algorithm="HS256")
    for _ in range(2):
        with pytest.warns(InsecureKeyLengthWarning, match="5 bytes long"):
            decoder.decode(token, "short", algorithms=["HS256"], audience=SETTINGS.jwt_audience)
