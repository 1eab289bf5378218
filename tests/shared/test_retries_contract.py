"""The OpenAPI contract says how to retry a POST and how to change a record safely, on every route."""

from typing import Any

import pytest
from fastapi import FastAPI


def _apps() -> dict[str, FastAPI]:
    from services.budget.main import create_app as budget
    from services.councils.main import create_app as councils
    from services.evaluation.main import create_app as evaluation

    return {"councils": councils(), "budget": budget(), "evaluation": evaluation()}


def _operations(spec: dict[str, Any], method: str) -> list[tuple[str, dict[str, Any]]]:
    return [(path, item[method]) for path, item in spec["paths"].items() if method in item]


@pytest.mark.parametrize("service", ["councils", "budget", "evaluation"])
def test_every_post_documents_the_idempotency_key(service: str) -> None:
    spec = _apps()[service].openapi()
    posts = _operations(spec, "post")
    assert posts
    for path, operation in posts:
        names = [parameter["name"] for parameter in operation.get("parameters", [])]
        assert "Idempotency-Key" in names, path
        assert {"409", "422"} <= set(operation["responses"]), path


@pytest.mark.parametrize("service", ["councils", "budget", "evaluation"])
def test_every_patch_honours_if_match_and_its_record_has_an_etag(service: str) -> None:
    spec = _apps()[service].openapi()
    for path, operation in _operations(spec, "patch"):
        names = [parameter["name"] for parameter in operation.get("parameters", [])]
        assert "If-Match" in names, path
        assert operation["responses"]["412"]["content"]["application/problem+json"], path
        assert "ETag" in operation["responses"]["200"]["headers"], path
        assert "ETag" in spec["paths"][path]["get"]["responses"]["200"]["headers"], path


def test_the_patch_routes_are_the_six_councils_records() -> None:
    spec = _apps()["councils"].openapi()
    assert sorted(path for path, _ in _operations(spec, "patch")) == [
        "/councils/bodies/{body_id}",
        "/councils/meetings/{meeting_id}",
        "/councils/memberships/{membership_id}",
        "/councils/motions/{motion_id}",
        "/councils/organizations/{organization_id}",
        "/councils/persons/{person_id}",
    ]
