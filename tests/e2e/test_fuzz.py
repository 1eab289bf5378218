"""Schemathesis over the gateway's merged OpenAPI: no 5xx, and every answer is what the contract says.

Runs against real processes (the `system` fixture), with an admin token so writes are exercised, seeded so a
failure replays. Two phases per operation: schemathesis's coverage cases (deterministic: boundary values,
missing and mistyped fields, undeclared methods) and a few random valid and invalid examples, no shrinking.
Alone: `.venv/bin/python -m pytest tests/e2e/test_fuzz.py -q` (see the README).

Each operation gets its own Hypothesis run over `operation.as_strategy()` (schemathesis's pytest loader
`from_fixture(...).parametrize()` does not run under pytest 9.2), and every failure is collected, so one
run reports them all. The coverage cases come from `CoverageGenerator`, which is not public API: the
version is pinned in pyproject.toml.
"""

import contextlib
import os
from collections import Counter
from collections.abc import Callable

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.generation.drivers import CoverageGenerator
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.generation.overrides import Override
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shared.auth import Role
from tests.e2e.conftest import System

# FUZZ_SEED and FUZZ_EXAMPLES (per operation and mode) explore further when the test is run alone.
SEED = int(os.environ.get("FUZZ_SEED", "20261202"))
EXAMPLES = dict.fromkeys(
    (GenerationMode.POSITIVE, GenerationMode.NEGATIVE), int(os.environ.get("FUZZ_EXAMPLES", "8"))
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]

# Operations left out until the lane that fixes what they trip on is merged: "METHOD /path" -> the lane.
EXCLUDED: dict[str, str] = {}


def check(case: schemathesis.Case, label: str, headers: dict[str, str], statuses: Counter[str]) -> str | None:
    try:
        response = case.call_and_validate(headers=headers, checks=CHECKS, timeout=10)
    except (Exception, BaseExceptionGroup) as exc:
        return f"{case.operation.label} ({label}): {exc}"
    statuses[f"{case.operation.label} {response.status_code}"] += 1
    return None


def cover(operation: APIOperation, headers: dict[str, str], statuses: Counter[str]) -> list[str]:
    """The coverage phase (the generator schemathesis's own runner uses for it)."""
    cases = CoverageGenerator(
        operation=operation,
        generation_modes=list(EXAMPLES),
        generation_config=operation.schema.config.generation_for(operation=operation, phase="coverage"),
        auth_storage=None,
        override=Override(),
        feedback=FeedbackSources(),
    )
    return [failure for case in cases if (failure := check(case, "coverage", headers, statuses))]


def fuzz(
    operation: APIOperation, mode: GenerationMode, headers: dict[str, str], statuses: Counter[str]
) -> list[str]:
    failures: list[str] = []

    @hypothesis.seed(SEED)
    @hypothesis.settings(
        max_examples=EXAMPLES[mode],
        phases=[Phase.explicit, Phase.generate],
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy(mode))
    def run(case: schemathesis.Case) -> None:
        if failure := check(case, mode.value, headers, statuses):
            failures.append(failure)

    # An operation with nothing to negate (no parameters, no body) has no invalid input.
    with contextlib.suppress(hypothesis.errors.Unsatisfiable):
        run()
    return failures


@pytest.mark.fuzz
def test_the_merged_contract_holds_under_fuzzing(system: System, token: Callable[..., str]) -> None:
    schema = schemathesis.openapi.from_url(f"{system.gateway}/openapi.json")
    headers = {"Authorization": f"Bearer {token(Role.admin, subject='fuzzer')}"}
    failures: list[str] = []
    statuses: Counter[str] = Counter()
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label in EXCLUDED:
            continue
        operations += 1
        failures.extend(cover(operation, headers, statuses))
        for mode in EXAMPLES:
            failures.extend(fuzz(operation, mode, headers, statuses))
    print("\n".join(f"{count:4} {label}" for label, count in sorted(statuses.items())))
    assert operations > 80
    created = sum(count for label, count in statuses.items() if label.endswith(" 201"))
    assert created > 10, "the admin token's writes never landed"
    assert not failures, f"{len(failures)} failures:\n\n" + "\n\n".join(failures)
