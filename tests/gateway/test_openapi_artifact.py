"""The committed contract (openapi/openapi.json) is what the code serves, and a breaking change is named."""

import copy
from typing import Any

import pytest

from ops.openapi import ARTIFACT, current_spec, differences, render
from ops.openapi_diff import breaking_changes


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return current_spec()


def test_the_committed_contract_is_what_the_code_serves(spec: dict[str, Any]) -> None:
    committed = ARTIFACT.read_text(encoding="utf-8")
    changed, breaking = differences(committed, spec)
    assert not changed, (
        "openapi/openapi.json differs from the code: run `make openapi` and commit it.\n"
        + "\n".join(f"BREAKING: {line}" for line in breaking)
    )


def test_korean_text_is_kept_as_text(spec: dict[str, Any]) -> None:
    text = render(spec)
    assert "공통지표" in text and "\\uacf5" not in text  # readable in a diff, not escaped


def test_additions_break_nothing(spec: dict[str, Any]) -> None:
    new = copy.deepcopy(spec)
    new["paths"]["/budget/new-thing"] = {"get": {"responses": {"200": {"description": "ok"}}}}
    for schema in new["components"]["schemas"].values():
        schema.setdefault("properties", {})["added_field"] = {"type": "string"}
    assert breaking_changes(spec, new) == []


def test_a_removed_path_operation_field_or_enum_value_is_named(spec: dict[str, Any]) -> None:
    new = copy.deepcopy(spec)
    del new["paths"]["/budget/cycles/{cycle_id}"]
    del new["paths"]["/budget/cycles"]["post"]
    schemas = new["components"]["schemas"]
    cycle = next(name for name in schemas if name.endswith("CycleOut") and "year" in str(schemas[name]))
    removed_field = next(iter(schemas[cycle]["properties"]))
    del schemas[cycle]["properties"][removed_field]
    enum_owner, enum_field, removed_value = next(
        (name, field, sub["enum"][0])
        for name, schema in schemas.items()
        for field, sub in schema.get("properties", {}).items()
        if isinstance(sub, dict) and len(sub.get("enum", [])) > 1
    )
    schemas[enum_owner]["properties"][enum_field]["enum"].remove(removed_value)
    found = breaking_changes(spec, new)
    assert "removed path /budget/cycles/{cycle_id}" in found
    assert "removed operation POST /budget/cycles" in found
    assert any(line.endswith(f"removed items[].{removed_field}") for line in found), found
    assert any(f"= {removed_value!r}" in line for line in found), found


def test_a_newly_required_input_is_named(spec: dict[str, Any]) -> None:
    new = copy.deepcopy(spec)
    operation = new["paths"]["/budget/cycles"]["get"]
    operation.setdefault("parameters", []).append({"in": "query", "name": "must", "required": True})
    assert "GET /budget/cycles: now requires query.must" in breaking_changes(spec, new)
