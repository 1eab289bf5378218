"""What a change of the API contract breaks: removed paths, operations, fields and enum values.

Two merged OpenAPI documents are compared by what their operations read and answer, with every schema
`$ref` resolved, so renaming a schema breaks nothing while dropping one of its fields does.
"""

from collections.abc import Iterator
from typing import Any

REF_PREFIX = "#/components/schemas/"
METHODS = ("get", "put", "post", "delete", "patch")


def resolve(node: Any, schemas: dict[str, Any], seen: tuple[str, ...] = ()) -> Any:
    """`node` with every schema `$ref` replaced by the schema it names (a cycle is cut at its name)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF_PREFIX):
            name = ref[len(REF_PREFIX) :]
            if name in seen:
                return {"$cycle": name.split("__")[-1]}
            return resolve(schemas[name], schemas, (*seen, name))
        return {key: resolve(value, schemas, seen) for key, value in node.items()}
    if isinstance(node, list):
        return [resolve(item, schemas, seen) for item in node]
    return node


def _facts(schema: Any, at: str) -> Iterator[str]:
    """Every field path and enum value a schema promises: `items[].status`, `items[].status = 'open'`."""
    if not isinstance(schema, dict):
        return
    for value in schema.get("enum", []):
        yield f"{at or '(body)'} = {value!r}"
    if "const" in schema:
        yield f"{at or '(body)'} = {schema['const']!r}"
    for name, sub in schema.get("properties", {}).items():
        path = f"{at}.{name}" if at else name
        yield path
        yield from _facts(sub, path)
    if "items" in schema:
        yield from _facts(schema["items"], f"{at}[]")
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            yield from _facts(sub, at)
    if isinstance(schema.get("additionalProperties"), dict):
        yield from _facts(schema["additionalProperties"], f"{at}{{}}")


def _required(schema: Any, at: str) -> Iterator[str]:
    if not isinstance(schema, dict):
        return
    for name in schema.get("required", []):
        yield f"{at}.{name}" if at else name
    for name, sub in schema.get("properties", {}).items():
        yield from _required(sub, f"{at}.{name}" if at else name)


def _operations(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{method.upper()} {path}": item[method]
        for path, item in spec.get("paths", {}).items()
        for method in METHODS
        if method in item
    }


def _body_schema(node: dict[str, Any]) -> Any:
    content = node.get("content", {})
    return next((media.get("schema") for media in content.values() if "schema" in media), None)


def _reads(operation: dict[str, Any], schemas: dict[str, Any]) -> tuple[set[str], set[str]]:
    """What the operation reads from a caller: (every parameter and body field, the required ones)."""
    fields = {f"{p['in']}.{p['name']}" for p in operation.get("parameters", [])}
    required = {f"{p['in']}.{p['name']}" for p in operation.get("parameters", []) if p.get("required")}
    body = resolve(_body_schema(operation.get("requestBody", {})), schemas)
    fields |= {f"body.{fact}" for fact in _facts(body, "")}
    if operation.get("requestBody", {}).get("required"):
        required |= {f"body.{name}" for name in _required(body, "") if "." not in name}
    return fields, required


def _answers(operation: dict[str, Any], schemas: dict[str, Any]) -> dict[str, set[str]]:
    """What each success status promises to a caller: its fields and enum values."""
    return {
        status: set(_facts(resolve(_body_schema(response), schemas), ""))
        for status, response in operation.get("responses", {}).items()
        if status.startswith("2")
    }


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Each change from `old` to `new` that a client written against `old` can trip on, one line each."""
    old_schemas = old.get("components", {}).get("schemas", {})
    new_schemas = new.get("components", {}).get("schemas", {})
    old_ops, new_ops = _operations(old), _operations(new)
    found: list[str] = []
    for path in sorted(set(old.get("paths", {})) - set(new.get("paths", {}))):
        found.append(f"removed path {path}")
    for key in sorted(set(old_ops) - set(new_ops)):
        if key.split(" ", 1)[1] in new.get("paths", {}):
            found.append(f"removed operation {key}")
    for key in sorted(set(old_ops) & set(new_ops)):
        old_reads, old_required = _reads(old_ops[key], old_schemas)
        new_reads, new_required = _reads(new_ops[key], new_schemas)
        found += [f"{key}: no longer reads {fact}" for fact in sorted(old_reads - new_reads)]
        found += [f"{key}: now requires {name}" for name in sorted(new_required - old_required)]
        new_answers = _answers(new_ops[key], new_schemas)
        for status, facts in sorted(_answers(old_ops[key], old_schemas).items()):
            if status not in new_answers:
                found.append(f"{key}: no longer answers {status}")
                continue
            found += [f"{key} {status}: removed {fact}" for fact in sorted(facts - new_answers[status])]
    return found
