"""The API contract as a committed artifact: the gateway's merged OpenAPI document, built without a network.

    python -m ops.openapi write      # `make openapi`: regenerate openapi/openapi.json
    python -m ops.openapi check      # exit 1 when the code and the committed document differ

`check` names every breaking change (a removed path, operation, field or enum value; a newly required
input) plainly, so a reviewer sees what a client generated from the old document would trip on.
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ops.openapi_diff import breaking_changes

ROOT = Path(__file__).resolve().parents[1]
ARTIFACT = ROOT / "openapi" / "openapi.json"


def current_spec() -> dict[str, Any]:
    """The document the gateway serves when every service answers, built from the code in this checkout."""
    from gateway.main import base_spec, gateway_routes_app
    from gateway.openapi import merge_specs
    from services.budget.main import create_app as budget
    from services.councils.main import create_app as councils
    from services.evaluation.main import create_app as evaluation

    apps = {"budget": budget(), "councils": councils(), "evaluation": evaluation()}
    specs = {name: app.openapi() for name, app in apps.items()}
    return merge_specs(base_spec(gateway_routes_app()), specs)


def render(spec: dict[str, Any]) -> str:
    return json.dumps(spec, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def differences(committed: str, spec: dict[str, Any]) -> tuple[bool, list[str]]:
    """(whether the committed text differs from the code's, the breaking changes among the differences)."""
    if committed == render(spec):
        return False, []
    try:
        old = json.loads(committed)
    except ValueError:
        return True, ["the committed document is not JSON"]
    return True, breaking_changes(old, spec)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("write", "check"))
    args = parser.parse_args()
    spec = current_spec()
    if args.action == "write":
        ARTIFACT.parent.mkdir(exist_ok=True)
        ARTIFACT.write_text(render(spec), encoding="utf-8")
        print(f"wrote {ARTIFACT.relative_to(ROOT)} ({len(spec['paths'])} paths)")
        return
    committed = ARTIFACT.read_text(encoding="utf-8") if ARTIFACT.exists() else ""
    changed, breaking = differences(committed, spec)
    if not changed:
        print(f"{ARTIFACT.relative_to(ROOT)} matches the code")
        return
    print(f"{ARTIFACT.relative_to(ROOT)} differs from the code: `make openapi` regenerates it.")
    for line in breaking:
        print(f"BREAKING: {line}")
    sys.exit(1)


if __name__ == "__main__":
    main()
