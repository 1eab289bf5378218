"""Service tokens at their edges: lifetime (300 s), audience, subject, signature, role."""

import time
from typing import Any

import jwt
import pytest
from pydantic import SecretStr, ValidationError

from services.budget.settings import BudgetSettings
from shared.problems import Forbidden, Unauthorized
from shared.service_auth import ServiceTokens, ServiceTokenVerifier, mint_service_token
from shared.settings import DEV_SERVICE_TOKEN_SECRET

SETTINGS = BudgetSettings()
VERIFIER = ServiceTokenVerifier(SETTINGS, "budget")


def signed(secret: str | None = None, **changes: Any) -> str:
    now = int(time.time())
    claims = {
        "sub": "service:evaluation",
        "role": "service",
        "iss": SETTINGS.jwt_issuer,
        "aud": "service:budget",
        "iat": now,
        "exp": now + 300,
        **changes,
    }
    claims = {key: value for key, value in claims.items() if value is not None}
    return jwt.encode(claims, secret or SETTINGS.service_token_secret.get_secret_value(), algorithm="HS256")


def test_a_minted_token_names_caller_role_and_callee_and_lives_at_most_five_minutes() -> None:
    claims = jwt.decode(
        mint_service_token(SETTINGS, caller="evaluation", callee="budget"),
        options={"verify_signature": False},
    )
    assert claims["sub"] == "service:evaluation" and claims["role"] == "service"
    assert claims["aud"] == "service:budget" and claims["exp"] - claims["iat"] == 300


@pytest.mark.parametrize("lifetime", [1, 299, 300])
def test_lifetimes_up_to_300_s_are_accepted(lifetime: int) -> None:
    now = int(time.time())
    assert VERIFIER.verify(signed(iat=now, exp=now + lifetime)).service == "evaluation"


@pytest.mark.parametrize("lifetime", [301, 3600])
def test_longer_lifetimes_are_refused(lifetime: int) -> None:
    now = int(time.time())
    with pytest.raises(Unauthorized, match="at most 300"):
        VERIFIER.verify(signed(iat=now, exp=now + lifetime))


def test_expired_beyond_the_leeway_is_refused_and_within_it_accepted() -> None:
    now = int(time.time())
    leeway = SETTINGS.jwt_leeway_seconds
    VERIFIER.verify(signed(iat=now - 100, exp=now - leeway + 5))
    with pytest.raises(Unauthorized):
        VERIFIER.verify(signed(iat=now - 100, exp=now - leeway - 5))


@pytest.mark.parametrize(
    "changes",
    [{"role": "admin"}, {"role": None}, {"sub": "evaluation"}, {"iat": None}, {"iss": "elsewhere"}],
    ids=["user-role", "no-role", "not-a-service-subject", "no-iat", "other-issuer"],
)
def test_tokens_that_are_not_service_tokens_are_401(changes: dict[str, Any]) -> None:
    with pytest.raises(Unauthorized):
        VERIFIER.verify(signed(**changes))


def test_a_token_signed_with_the_users_secret_is_401() -> None:
    with pytest.raises(Unauthorized):
        VERIFIER.verify(signed(secret=SETTINGS.jwt_secret.get_secret_value()))


@pytest.mark.parametrize("audience", ["service:councils", "seoul-governance-api", ["service:budget", "x"]])
def test_another_audience_is_403(audience: Any) -> None:
    with pytest.raises(Forbidden):
        VERIFIER.verify(signed(aud=audience))


def test_tokens_are_reused_until_a_minute_before_expiry() -> None:
    now = [1_000_000.0]
    tokens = ServiceTokens(SETTINGS, "evaluation", clock=lambda: now[0])
    first = tokens.token("budget")
    now[0] += 239
    assert tokens.token("budget") == first
    now[0] += 1
    assert tokens.token("budget") != first
    assert tokens.token("councils") != tokens.token("budget")


def test_production_refuses_the_development_service_secret() -> None:
    with pytest.raises(ValidationError, match="service_token_secret"):
        BudgetSettings(
            app_env="production",
            jwt_secret=SecretStr("a-real-secret-from-the-vault-0123456789"),
            voter_hash_secret=SecretStr("a-real-voter-secret-from-the-vault"),
            db_password=SecretStr("a-real-db-password"),
            service_token_secret=SecretStr(DEV_SERVICE_TOKEN_SECRET),
        )
