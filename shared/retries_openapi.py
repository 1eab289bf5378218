"""The OpenAPI contract of retries and concurrent edits: Idempotency-Key on POST, ETag and If-Match on PATCH.

The Idempotency-Key is handled by a middleware and the If-Match check by a dependency, so the generated spec
does not say all of it: this adds the header to every POST, the 412 to every PATCH that honours If-Match, and
the ETag response header to those PATCHes and to the GET of the same record.
"""

from typing import Any

from shared.idempotency import HEADER, MAX_KEY_LENGTH, REPLAYED

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

IDEMPOTENCY_PARAMETER: dict[str, Any] = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "description": (
        "Makes a retry safe (draft-ietf-httpapi-idempotency-key-header): the same key with the same "
        f"request replays the first 2xx answer (with `{REPLAYED}: true`); with another method, path or "
        "body it is a 422 `idempotency-key-reused`; while the first still runs a retry waits up to 10 s, "
        "then 409 `idempotency-key-in-use`. Keys belong to the token's subject and are kept 24 hours."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH + 2},
}
ETAG_HEADER: dict[str, Any] = {
    "description": "The record's strong entity tag (its version); send it in If-Match to change it safely.",
    "schema": {"type": "string"},
}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/problem+json": {"schema": PROBLEM_REF}}}


def _tag_success(operation: dict[str, Any]) -> None:
    ok = operation.get("responses", {}).get("200")
    if ok is not None:
        ok.setdefault("headers", {})["ETag"] = ETAG_HEADER


def document_retries(spec: dict[str, Any]) -> dict[str, Any]:
    """Add the retry and precondition headers and answers to a service's spec, in place."""
    for item in spec.get("paths", {}).values():
        post = item.get("post")
        if post is not None:
            post.setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
            post.setdefault("responses", {}).setdefault(
                "409", _problem("Conflict, or a request with the same Idempotency-Key is still running")
            )
        patch = item.get("patch")
        if patch is not None and any(p.get("name") == "If-Match" for p in patch.get("parameters", [])):
            patch.setdefault("responses", {})["412"] = _problem("The record changed since its ETag was read")
            _tag_success(patch)
            if "get" in item:
                _tag_success(item["get"])
    return spec
