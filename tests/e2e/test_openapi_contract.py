"""The gateway's merged OpenAPI documents each route as the service behind it does (real processes)."""

from collections.abc import Callable

import httpx

from gateway.openapi import schema_refs
from tests.e2e.conftest import System
from tests.gateway.openapi_compare import contract_differences


def test_every_ref_resolves_to_the_schema_the_service_documents(
    system: System, gateway: httpx.Client
) -> None:
    merged = gateway.get("/openapi.json").json()
    assert "x-missing-services" not in merged
    dangling = set(schema_refs(merged)) - set(merged["components"]["schemas"])
    assert not dangling
    for service in ("councils", "budget", "evaluation"):
        own = httpx.get(f"{system.url(service)}/openapi.json", timeout=10).json()
        assert contract_differences(merged, service, own) == [], service


def test_budget_cycles_are_documented_with_the_fields_they_return(
    gateway: httpx.Client, auth: Callable[..., dict[str, str]]
) -> None:
    created = gateway.post(
        "/budget/cycles", json={"name_ko": "계약 확인", "fiscal_year": 2030}, headers=auth("city_officer")
    )
    assert created.status_code == 201, created.text
    spec = gateway.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    page = spec["paths"]["/budget/cycles"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    item = schemas[page["$ref"].rsplit("/", 1)[1]]["properties"]["items"]["items"]["$ref"].rsplit("/", 1)[1]
    listed = gateway.get("/budget/cycles", params={"limit": 1}).json()["items"][0]
    assert set(listed) == set(schemas[item]["properties"])
