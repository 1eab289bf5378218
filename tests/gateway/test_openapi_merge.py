"""The merged OpenAPI: colliding schema names stay apart, and every route lists what it can answer."""

from typing import Any

import pytest

from gateway.openapi import colliding_names, merge_specs
from tests.gateway.openapi_compare import contract_differences, operations, resolve

PROBLEM = {"type": "object", "properties": {"status": {"type": "integer"}}}


def page(item: str) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"items": {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}}},
    }


def service(name: str, cycle_field: str) -> dict[str, Any]:
    ok = {
        "200": {
            "description": "ok",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Page_CycleOut_"}}},
        }
    }
    return {
        "paths": {f"/{name}/cycles": {"get": {"responses": ok}}},
        "components": {
            "schemas": {
                "Page_CycleOut_": page("CycleOut"),
                "CycleOut": {"type": "object", "properties": {cycle_field: {"type": "string"}}},
                "Problem": PROBLEM,
            }
        },
    }


def own_specs() -> dict[str, dict[str, Any]]:
    from services.budget.main import create_app as budget
    from services.councils.main import create_app as councils
    from services.evaluation.main import create_app as evaluation

    return {
        "budget": budget().openapi(),
        "councils": councils().openapi(),
        "evaluation": evaluation().openapi(),
    }


def test_a_page_of_two_different_items_is_two_schemas() -> None:
    """`Page_CycleOut_` reads the same in both services; their `CycleOut`s differ, so the pages do too."""
    specs = {"budget": service("budget", "fiscal_year"), "evaluation": service("evaluation", "year")}
    merged = merge_specs({"paths": {}}, specs)
    schemas = merged["components"]["schemas"]
    for name, field in (("budget", "fiscal_year"), ("evaluation", "year")):
        ref = merged["paths"][f"/{name}/cycles"]["get"]["responses"]["200"]["content"]["application/json"]
        assert ref["schema"] == {"$ref": f"#/components/schemas/{name}__Page_CycleOut_"}
        page_schema = resolve(ref["schema"], schemas)
        assert page_schema["properties"]["items"]["items"]["properties"] == {field: {"type": "string"}}
    assert "Page_CycleOut_" not in schemas and "CycleOut" not in schemas
    assert schemas["Problem"] == PROBLEM  # the same everywhere: one name


def test_collisions_propagate_through_any_depth_of_references() -> None:
    deep = {"A": {"$ref": "#/components/schemas/B"}, "B": {"$ref": "#/components/schemas/C"}}
    owners = {
        "x": {**deep, "C": {"type": "string"}, "Same": {"type": "integer"}},
        "y": {**deep, "C": {"type": "integer"}, "Same": {"type": "integer"}},
    }
    assert colliding_names(owners) == {"A", "B", "C"}


def test_a_name_the_gateway_and_a_service_mean_differently_is_split() -> None:
    base = {"paths": {}, "components": {"schemas": {"CycleOut": {"type": "null"}}}}
    merged = merge_specs(base, {"budget": service("budget", "fiscal_year")})
    schemas = merged["components"]["schemas"]
    assert {"gateway__CycleOut", "budget__CycleOut"} <= set(schemas) and "CycleOut" not in schemas
    assert schemas["Page_CycleOut_"] == page("budget__CycleOut")  # defined once: keeps its name


@pytest.fixture(scope="module")
def specs() -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    own = own_specs()
    return merge_specs({"openapi": "3.1.0", "info": {"title": "t", "version": "0"}, "paths": {}}, own), own


def test_every_route_resolves_to_the_schemas_its_service_documents(
    specs: tuple[dict[str, Any], dict[str, dict[str, Any]]],
) -> None:
    merged, own = specs
    for name, spec in own.items():
        assert contract_differences(merged, name, spec) == [], name


# Reads that answer 409. None since an outcome still being computed is a 202 (budget's computations.py), not
# a conflict: the outcome read that may compute answers 200 or 202, and its errors are a plain read's.
READS_THAT_CONFLICT: set[tuple[str, str]] = set()


def test_every_route_lists_the_statuses_it_can_answer_as_problem_json(
    specs: tuple[dict[str, Any], dict[str, dict[str, Any]]],
) -> None:
    merged, own = specs
    common = {"400", "401", "404", "413", "422", "500", "502", "503", "504"}
    for name in own:
        for path, method, operation in operations(merged, f"/{name}/"):
            responses = operation["responses"]
            errors = {status for status in responses if status[0] in "45"}
            label = f"{method.upper()} {path}"
            assert common <= errors, label
            assert ("403" in errors) == bool(operation.get("security")), label
            writes = method != "get"
            assert ("409" in errors) == (writes or (method, path) in READS_THAT_CONFLICT), label
            assert ("415" in errors) == writes, label
            for status in errors:
                assert list(responses[status]["content"]) == ["application/problem+json"], (label, status)
                assert responses[status]["content"]["application/problem+json"]["schema"] == {
                    "$ref": "#/components/schemas/Problem"
                }
            assert ("412" in errors) == (method == "patch"), label
            assert "Retry-After" in responses["503"]["headers"]


def test_a_status_the_service_describes_in_its_own_words_keeps_them(
    specs: tuple[dict[str, Any], dict[str, dict[str, Any]]],
) -> None:
    merged, _ = specs
    conflict = merged["paths"]["/budget/cycles"]["post"]["responses"]["409"]["description"]
    assert "Idempotency-Key" in conflict
    not_found = merged["paths"]["/budget/cycles"]["get"]["responses"]["404"]["description"]
    assert not_found == "No such record or path"
    changed = merged["paths"]["/councils/persons/{person_id}"]["patch"]["responses"]["412"]["description"]
    assert changed == "The record changed since its ETag was read"  # the service's words
    outcome = merged["paths"]["/budget/elections/{election_id}/outcome"]["get"]["responses"]
    assert outcome["404"]["description"] == "No such election, or its published outcome is not stored"
    assert "Still being computed" in outcome["202"]["description"]  # a 2xx of the service's, with its headers
    assert set(outcome["202"]["headers"]) == {"Retry-After", "Location"}
