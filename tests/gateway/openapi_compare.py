"""Resolve `$ref`s so two specs can be compared by what their schemas say, not by what they are named."""

from typing import Any

from ops.openapi_diff import METHODS, REF_PREFIX, resolve

__all__ = ["REF_PREFIX", "contract_differences", "operations", "resolve"]


def operations(spec: dict[str, Any], prefix: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, item[method])
        for path, item in spec["paths"].items()
        if path.startswith(prefix)
        for method in METHODS
        if method in item
    ]


def contract_differences(merged: dict[str, Any], service: str, own: dict[str, Any]) -> list[str]:
    """Where the merged spec documents a service's route otherwise than the service itself does."""
    merged_schemas = merged["components"]["schemas"]
    own_schemas = own["components"]["schemas"]
    problem = resolve({"$ref": REF_PREFIX + "Problem"}, own_schemas)
    differences = []
    own_operations = operations(own, f"/{service}/")
    assert own_operations, f"{service} documents no routes"
    for path, method, operation in own_operations:
        label = f"{method.upper()} {path}"
        theirs = merged["paths"].get(path, {}).get(method)
        if theirs is None:
            differences.append(f"{label}: missing from the merged spec")
            continue
        for part in ("parameters", "requestBody"):
            if resolve(theirs.get(part), merged_schemas) != resolve(operation.get(part), own_schemas):
                differences.append(f"{label}: {part} differs")
        for status, response in operation["responses"].items():
            documented = theirs["responses"].get(status)
            if status.startswith(("4", "5")):
                if documented is not None:
                    body = documented.get("content", {}).get("application/problem+json", {}).get("schema")
                    if body is None or resolve(body, merged_schemas) != problem:
                        differences.append(f"{label} {status}: not the service's Problem")
            elif resolve(documented, merged_schemas) != resolve(response, own_schemas):
                differences.append(f"{label} {status}: response differs")
    return differences
