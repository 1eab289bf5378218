"""One OpenAPI document for the whole API: the services' specs merged, cached briefly."""

import asyncio
import copy
import json
import time
from collections import defaultdict
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

from gateway.upstreams import Upstreams
from shared.app import QUIET_PATHS
from shared.problems import (
    ANY_ROUTE_STATUSES,
    PATCH_STATUSES,
    POST_STATUSES,
    PROBLEM_JSON,
    PROBLEM_RESPONSES,
    RETRY_AFTER_STATUSES,
    SECURED_ROUTE_STATUSES,
    WRITE_STATUSES,
    Problem,
)

REF_PREFIX = "#/components/schemas/"
GATEWAY = "gateway"


def schema_refs(node: Any) -> Iterator[str]:
    """The names of the component schemas `node` refers to, at any depth."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(REF_PREFIX):
                yield value[len(REF_PREFIX) :]
            else:
                yield from schema_refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from schema_refs(item)


def _rename_refs(node: Any, renames: dict[str, str]) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(REF_PREFIX):
                name = value[len(REF_PREFIX) :]
                out[key] = REF_PREFIX + renames.get(name, name)
            else:
                out[key] = _rename_refs(value, renames)
        return out
    if isinstance(node, list):
        return [_rename_refs(item, renames) for item in node]
    return node


def colliding_names(owners: dict[str, dict[str, Any]]) -> set[str]:
    """Schema names that mean different things to different owners (owner -> its components.schemas).

    Two same-named schemas differ when their text differs, or when they refer to a name that differs:
    `Page_CycleOut_` reads the same in two services yet means two things when their `CycleOut`s differ.
    """
    definitions: dict[str, list[Any]] = defaultdict(list)
    for schemas in owners.values():
        for name, schema in schemas.items():
            definitions[name].append(schema)
    shared = {name: defs for name, defs in definitions.items() if len(defs) > 1}
    colliding = {
        name for name, defs in shared.items() if len({json.dumps(d, sort_keys=True) for d in defs}) > 1
    }
    grown = True
    while grown:
        grown = False
        for name, defs in shared.items():
            if name not in colliding and any(colliding.intersection(schema_refs(d)) for d in defs):
                colliding.add(name)
                grown = True
    return colliding


METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
BLANKET = frozenset(str(status) for status in PROBLEM_RESPONSES)


def _problem_schema_ref(schemas: dict[str, Any]) -> dict[str, str]:
    if "Problem" not in schemas:
        problem = Problem.model_json_schema(ref_template=REF_PREFIX + "{model}")
        for name, schema in problem.pop("$defs", {}).items():
            schemas.setdefault(name, schema)
        schemas["Problem"] = problem
    return {"$ref": REF_PREFIX + "Problem"}


def route_statuses(method: str, operation: dict[str, Any], *, routed: bool) -> dict[int, str]:
    """The error statuses an operation can answer, each with why."""
    statuses = dict(ANY_ROUTE_STATUSES)
    if not routed:
        statuses.pop(413)  # the gateway's own routes read no body
    if operation.get("security"):
        statuses.update(SECURED_ROUTE_STATUSES)
    if method not in ("get", "head", "options"):
        statuses.update(WRITE_STATUSES)
    if method == "post":
        statuses.update(POST_STATUSES)
    if method == "patch":
        statuses.update(PATCH_STATUSES)
    for status, response in operation.get("responses", {}).items():
        if not (status.isdigit() and status[0] in "45"):
            continue
        description = response.get("description", "")
        own_words = bool(description) and description != HTTPStatus(int(status)).phrase
        if status not in BLANKET or own_words:
            statuses.setdefault(int(status), description)  # a route's own error status stays
        if int(status) in statuses and own_words:
            statuses[int(status)] = description  # the service's own words say more than the common ones
    return statuses


def document_problems(spec: dict[str, Any], routed: tuple[str, ...]) -> None:
    """Every operation lists the error statuses it can really answer, as problem+json (probes excepted)."""
    schema = _problem_schema_ref(spec.setdefault("components", {}).setdefault("schemas", {}))
    for path, item in spec.get("paths", {}).items():
        if path in QUIET_PATHS:
            continue
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            statuses = route_statuses(method, operation, routed=path.startswith(routed))
            responses = operation.setdefault("responses", {})
            for status in [s for s in responses if s.isdigit() and s[0] in "45" and int(s) not in statuses]:
                del responses[status]
            for status, description in sorted(statuses.items()):
                response: dict[str, Any] = {
                    "description": description,
                    "content": {PROBLEM_JSON: {"schema": schema}},
                }
                if status in RETRY_AFTER_STATUSES:
                    response["headers"] = {
                        "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}
                    }
                responses[str(status)] = response


def merge_specs(base: dict[str, Any], specs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Merge service specs into the gateway's.

    A schema name that collides becomes `<owner>__<name>` in every owner that defines it, and every `$ref`
    to it is rewritten, so no owner's schema hides another's."""
    owners = {GATEWAY: base, **specs}
    colliding = colliding_names(
        {owner: spec.get("components", {}).get("schemas", {}) for owner, spec in owners.items()}
    )
    renamed: dict[str, dict[str, Any]] = {}
    for owner, spec in owners.items():
        own = spec.get("components", {}).get("schemas", {})
        renamed[owner] = _rename_refs(spec, {name: f"{owner}__{name}" for name in own if name in colliding})
    merged = copy.deepcopy(renamed[GATEWAY])
    paths = merged.setdefault("paths", {})
    schemas: dict[str, Any] = {}
    merged.setdefault("components", {})["schemas"] = schemas
    tags: dict[str, dict[str, Any]] = {tag["name"]: tag for tag in merged.get("tags", [])}
    for owner in owners:
        for name, schema in renamed[owner].get("components", {}).get("schemas", {}).items():
            schemas[f"{owner}__{name}" if name in colliding else name] = schema
    for service in specs:
        spec = renamed[service]
        for path, item in spec.get("paths", {}).items():
            if path.startswith(f"/{service}/"):
                paths[path] = item
        for tag in spec.get("tags", []):
            tags.setdefault(tag["name"], tag)
    if tags:
        merged["tags"] = list(tags.values())
    document_problems(merged, routed=tuple(f"/{service}/" for service in specs))
    return merged


class MergedSpec:
    """Fetches the upstream specs in parallel; a service that is down is named, not fatal."""

    def __init__(self, upstreams: Upstreams, ttl: float) -> None:
        self.upstreams = upstreams
        self.ttl = ttl
        self._cached: tuple[float, dict[str, Any]] | None = None
        self._lock = asyncio.Lock()

    async def get(self, base: dict[str, Any]) -> dict[str, Any]:
        async with self._lock:
            if self._cached and time.monotonic() - self._cached[0] < self.ttl:
                return self._cached[1]
            names = list(self.upstreams.clients)
            results = await asyncio.gather(*(self._fetch(name) for name in names), return_exceptions=True)
            specs = {name: r for name, r in zip(names, results, strict=True) if isinstance(r, dict)}
            merged = merge_specs(base, specs)
            missing = sorted(set(names) - set(specs))
            if missing:
                merged["x-missing-services"] = missing
            else:
                self._cached = (time.monotonic(), merged)
            return merged

    async def _fetch(self, name: str) -> dict[str, Any]:
        response = await self.upstreams.client(name).get("/openapi.json", timeout=5)
        response.raise_for_status()
        spec: dict[str, Any] = response.json()
        return spec
