"""One OpenAPI document for the whole API: the services' specs merged, cached briefly."""

import asyncio
import copy
import json
import time
from typing import Any

from gateway.upstreams import Upstreams

REF_PREFIX = "#/components/schemas/"


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


def merge_specs(base: dict[str, Any], specs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Merge service specs into the gateway's; same-named schemas that differ get the service's prefix."""
    merged = copy.deepcopy(base)
    paths = merged.setdefault("paths", {})
    schemas = merged.setdefault("components", {}).setdefault("schemas", {})
    tags: dict[str, dict[str, Any]] = {tag["name"]: tag for tag in merged.get("tags", [])}
    for service, spec in specs.items():
        incoming = spec.get("components", {}).get("schemas", {})
        renames = {
            name: f"{service}__{name}"
            for name, schema in incoming.items()
            if name in schemas
            and json.dumps(schemas[name], sort_keys=True) != json.dumps(schema, sort_keys=True)
        }
        spec = _rename_refs(spec, renames)
        for name, schema in spec.get("components", {}).get("schemas", {}).items():
            schemas[renames.get(name, name)] = schema
        for path, item in spec.get("paths", {}).items():
            if path.startswith(f"/{service}/"):
                paths[path] = item
        for tag in spec.get("tags", []):
            tags.setdefault(tag["name"], tag)
    if tags:
        merged["tags"] = list(tags.values())
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
